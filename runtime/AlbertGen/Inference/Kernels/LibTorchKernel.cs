using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Kernels;

/// <summary>
/// libtorch's own <c>linear</c> (MKL or oneDNN inside libtorch, weights as they are), followed by the activation in place.
/// Runs on every CPU and device; the general fallback.
/// </summary>
internal sealed class LibTorchKernel : IProductKernel
{
    private readonly ProductWeights _weights;
    private readonly AlbertActivation? _activation;

    /// <summary>Makes the kernel over <paramref name="weights"/> converted to <paramref name="dtype"/> (a copy only when the dtype differs).</summary>
    public LibTorchKernel(ProductWeights weights, ScalarType dtype, AlbertActivation? activation)
    {
        _weights = weights.To(dtype);
        _activation = activation;
    }

    public string Name => ProductKernels.Name(ProductKernel.Libtorch, DType);

    public ScalarType DType => _weights.Weight.dtype;

    public Tensor Forward(Tensor input)
    {
        Tensor result = nn.functional.linear(input, _weights.Weight, _weights.Bias);
        if (_activation is { } activation)
        {
            Activations.ApplyInPlace(activation, result);
        }

        return result;
    }

    public void Dispose() => _weights.DisposeIfOwned();
}
