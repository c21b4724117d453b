using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>Each <c>hidden_act</c> computes HuggingFace's formula (values computed by hand in double precision).</summary>
public sealed class ActivationTests
{
    private static readonly double[] Points = [-3.0, -1.0, -0.25, 0.0, 0.5, 1.0, 2.0];

    private static double TanhGelu(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x))));

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    public static TheoryData<AlbertActivation> All() => new(Enum.GetValues<AlbertActivation>());

    private static Func<double, double> Expected(AlbertActivation activation) => activation switch
    {
        // Exact erf GELU, from Φ(x) tabulated: 0.5·x·(1 + erf(x/√2)).
        AlbertActivation.Gelu => x => x switch
        {
            -3.0 => -0.00404969409489031,
            -1.0 => -0.15865525393145707,
            -0.25 => -0.10032341857926907,
            0.0 => 0.0,
            0.5 => 0.34573123063700656,
            1.0 => 0.8413447460685429,
            2.0 => 1.9544997361036416,
            _ => throw new ArgumentOutOfRangeException(nameof(x)),
        },
        AlbertActivation.GeluNew => TanhGelu,
        AlbertActivation.GeluFast => x => 0.5 * x * (1 + Math.Tanh(x * 0.7978845608 * (1 + (0.044715 * x * x)))),
        AlbertActivation.QuickGelu => x => x * Sigmoid(1.702 * x),
        AlbertActivation.Relu => x => Math.Max(0, x),
        AlbertActivation.Silu => x => x * Sigmoid(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    [Theory]
    [MemberData(nameof(All))]
    public void Activation_matches_the_HuggingFace_formula(AlbertActivation activation)
    {
        using Tensor x = tensor(Points, dtype: ScalarType.Float32);
        using Tensor y = Activations.Apply(activation, x);
        using Tensor expected = tensor(Points.Select(Expected(activation)).ToArray(), dtype: ScalarType.Float64);
        TensorAssert.Close(expected, y, activation.ToString(), atol: 1e-6, rtol: 1e-6);
    }
}
