using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Kernels;

/// <summary>
/// oneDNN's linear with the weight laid out for it once, when the session is compiled (<see cref="OneDnnLinear"/>), and a
/// GELU activation fused into the product; other activations are applied in place afterwards.
/// </summary>
internal sealed class OneDnnPackedKernel : IProductKernel
{
    private readonly Tensor _packed;
    private readonly Tensor _bias;
    private readonly bool _ownsBias;
    private readonly AlbertActivation? _activation;
    private readonly bool _fused;

    private OneDnnPackedKernel(Tensor packed, Tensor bias, bool ownsBias, AlbertActivation? activation)
    {
        _packed = packed;
        _bias = bias;
        _ownsBias = ownsBias;
        _activation = activation;
        _fused = activation is { } a && OneDnnLinear.CanFuse(a);
    }

    public string Name => ProductKernels.Name(ProductKernel.OneDnnPacked, DType);

    public ScalarType DType => _bias.dtype;

    /// <summary>
    /// Packs <paramref name="weights"/> in <paramref name="dtype"/> and checks the packed product on one row against
    /// libtorch's; null (owned weights released) when oneDNN cannot pack them or the check fails. Only the packed weight and
    /// the bias are kept.
    /// </summary>
    public static OneDnnPackedKernel? TryCreate(ProductWeights weights, ScalarType dtype, AlbertActivation? activation)
    {
        ProductWeights converted = weights.To(dtype);
        Tensor? packed = OneDnnLinear.Pack(converted.Weight)?.DetachFromDisposeScope();
        if (packed is null || !AgreesWithLibTorch(packed, converted))
        {
            packed?.Dispose();
            converted.DisposeIfOwned();
            return null;
        }

        if (converted.Owned)
        {
            converted.Weight.Dispose();
        }

        return new OneDnnPackedKernel(packed, converted.Bias, converted.Owned, activation);
    }

    public Tensor Forward(Tensor input)
    {
        Tensor result = OneDnnLinear.Forward(input, _packed, _bias, _fused ? _activation : null)
            ?? throw new InvalidOperationException(
                $"oneDNN's prepacked linear ({Name}) failed on an input of shape [{string.Join(", ", input.shape)}]; compile the session with InferenceOptions.Kernel = ProductKernel.Libtorch.");
        if (!_fused && _activation is { } activation)
        {
            Activations.ApplyInPlace(activation, result);
        }

        return result;
    }

    public void Dispose()
    {
        _packed.Dispose();
        if (_ownsBias)
        {
            _bias.Dispose();
        }
    }

    /// <summary>One row through the packed product and through libtorch's, equal to the dtype's rounding.</summary>
    private static bool AgreesWithLibTorch(Tensor packed, ProductWeights weights)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        ScalarType dtype = weights.Weight.dtype;
        Tensor probe = linspace(-1, 1, weights.Weight.shape[1], dtype: ScalarType.Float32).to(dtype).view(1, -1);
        Tensor? fast = OneDnnLinear.Forward(probe, packed, weights.Bias, null);
        if (fast is null)
        {
            return false;
        }

        Tensor plain = nn.functional.linear(probe, weights.Weight, weights.Bias).to(ScalarType.Float32);
        double tolerance = dtype == ScalarType.Float32 ? 1e-4 : 5e-2;
        double scale = Math.Max(1.0, plain.abs().max().item<float>());
        return fast.to(ScalarType.Float32).sub(plain).abs().max().item<float>() <= tolerance * scale;
    }
}
