using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>The activation functions of <c>hidden_act</c>, as HuggingFace's <c>ACT2FN</c> defines them.</summary>
public static class Activations
{
    /// <summary>Applies <paramref name="activation"/> to <paramref name="x"/>, returning a new tensor.</summary>
    /// <param name="activation">The activation.</param>
    /// <param name="x">Input of any shape.</param>
    /// <returns>The activated tensor, same shape.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="x"/> is null.</exception>
    public static Tensor Apply(AlbertActivation activation, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return activation switch
        {
            AlbertActivation.Gelu => nn.functional.gelu(x),
            // gelu_new and gelu_fast are the same tanh approximation written two ways; libtorch's fused kernel computes
            // 0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³))).
            AlbertActivation.GeluNew or AlbertActivation.GeluFast => nn.functional.gelu(x, GELU.Approximate.tanh),
            AlbertActivation.QuickGelu => QuickGelu(x),
            AlbertActivation.Relu => nn.functional.relu(x),
            AlbertActivation.Silu => nn.functional.silu(x),
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown ALBERT activation."),
        };
    }

    /// <summary>Applies <paramref name="activation"/> to <paramref name="x"/> in place (inference only: no autograd).</summary>
    /// <param name="activation">The activation.</param>
    /// <param name="x">Input of any shape, overwritten with the result.</param>
    internal static void ApplyInPlace(AlbertActivation activation, Tensor x)
    {
        switch (activation)
        {
            case AlbertActivation.Gelu:
                x.gelu_();
                break;
            case AlbertActivation.GeluNew or AlbertActivation.GeluFast:
                x.gelu_(GELU.Approximate.tanh);
                break;
            case AlbertActivation.Relu:
                x.relu_();
                break;
            case AlbertActivation.Silu:
                x.silu_();
                break;
            default:
                using (Tensor result = Apply(activation, x))
                {
                    x.copy_(result);
                }

                break;
        }
    }

    private static Tensor QuickGelu(Tensor x)
    {
        using Tensor scaled = x.mul(1.702);
        using Tensor gate = scaled.sigmoid_();
        return x.mul(gate);
    }
}
