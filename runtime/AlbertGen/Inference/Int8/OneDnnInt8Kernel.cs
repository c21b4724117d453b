using AlbertGen.Inference.Kernels;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Int8;

/// <summary>
/// One float32 product, <c>activation(input · Wᵀ + b)</c>, computed in int8 on oneDNN (<see cref="OneDnnInt8Linear"/>):
/// W quantised once per output channel and laid out for oneDNN when the kernel is made, the input quantised at every call
/// from its own range, GELU fused into the product; input and output stay float32. Immutable; safe to call from many
/// threads at once.
/// </summary>
internal sealed class OneDnnInt8Kernel : IProductKernel
{
    /// <summary>
    /// The relative error (max |int8 − float32| / max |float32|) above which the check made at creation rejects the
    /// kernel: 8-bit quantisation of both operands errs by about 1 % of the output's range, a broken kernel by far more.
    /// </summary>
    internal const double CreationTolerance = 0.05;

    private readonly Int8Weight _weight;
    private readonly Tensor _packed;
    private readonly Tensor _weightZeroPoints;
    private readonly Tensor _bias;
    private readonly AlbertActivation? _activation;
    private readonly bool _fusedGelu;
    private readonly bool _tanhGelu;

    private OneDnnInt8Kernel(Int8Weight weight, Tensor packed, Tensor bias, AlbertActivation? activation, int activationLevels)
    {
        _weight = weight;
        _packed = packed;
        _bias = bias;
        _activation = activation;
        _fusedGelu = activation is AlbertActivation.Gelu or AlbertActivation.GeluNew or AlbertActivation.GeluFast;
        _tanhGelu = activation is AlbertActivation.GeluNew or AlbertActivation.GeluFast;
        ActivationLevels = activationLevels;
        _weightZeroPoints = zeros(weight.Values.shape[0], ScalarType.Int64);
    }

    /// <summary>Short name shown by sessions and <c>albertgen info</c>: <c>onednn-int8</c>, or <c>onednn-int8-u7</c> with 7-bit activations.</summary>
    public string Name => KernelName(ActivationLevels);

    /// <summary>The name of the kernel with <paramref name="activationLevels"/> activation levels.</summary>
    public static string KernelName(int activationLevels) => activationLevels == 255 ? "onednn-int8" : "onednn-int8-u7";

    /// <summary>The dtype of the input and output (the products run in int8 inside).</summary>
    public ScalarType DType => ScalarType.Float32;

    /// <summary>The largest quantised activation value: 255, or 127 on CPUs without VNNI (see <see cref="TryCreate"/>).</summary>
    public int ActivationLevels { get; }

    /// <summary>
    /// Quantises and packs <paramref name="weight"/> (float32 <c>[N, K]</c>, read only) with its <paramref name="bias"/>,
    /// and checks the int8 product on a probe input against float32; null when oneDNN's int8 kernels are not available or
    /// the check fails.
    /// </summary>
    /// <param name="weight">The weight <c>[N, K]</c>.</param>
    /// <param name="bias">The bias <c>[N]</c>.</param>
    /// <param name="activation">The activation applied to the product, if any.</param>
    /// <param name="granularity">One weight scale per output channel or one per tensor.</param>
    /// <param name="activationLevels">
    /// 255 where the CPU multiplies u8×s8 with VNNI (AVX512-VNNI, AVX-VNNI, AMX-INT8); 127 elsewhere, because AVX2's
    /// <c>vpmaddubsw</c> adds two u8×s8 products into a saturating int16 and 2·255·127 does not fit.
    /// </param>
    public static OneDnnInt8Kernel? TryCreate(Tensor weight, Tensor bias, AlbertActivation? activation, Int8Granularity granularity, int activationLevels)
    {
        if (activationLevels is not (255 or 127))
        {
            throw new ArgumentOutOfRangeException(nameof(activationLevels), activationLevels, "int8 activations use 255 or 127 levels.");
        }

        if (!OneDnnInt8Linear.IsAvailable || weight.dtype != ScalarType.Float32 || bias.dtype != ScalarType.Float32 || weight.device_type != DeviceType.CPU)
        {
            return null;
        }

        Int8Weight quantized = Int8Weight.Quantize(weight, granularity);
        Tensor? packed = OneDnnInt8Linear.Pack(quantized)?.DetachFromDisposeScope();
        if (packed is null)
        {
            quantized.Dispose();
            return null;
        }

        Tensor ownBias;
        using (no_grad())
        {
            ownBias = bias.detach().contiguous().clone().DetachFromDisposeScope();
        }

        var kernel = new OneDnnInt8Kernel(quantized, packed, ownBias, activation, activationLevels);
        if (!kernel.AgreesWithFloat32(weight))
        {
            kernel.Dispose();
            return null;
        }

        return kernel;
    }

    /// <summary>
    /// <c>activation(input · Wᵀ + b)</c> for a float32 <paramref name="input"/> <c>[…, K]</c>: a new float32 tensor <c>[…, N]</c>.
    /// An input holding a NaN or an infinity has no int8 range; its product is computed in float32 from the quantised weight.
    /// </summary>
    public Tensor Forward(Tensor input)
    {
        long inputs = _weight.Values.shape[1], outputs = _weight.Values.shape[0];
        if (input.dtype != ScalarType.Float32 || input.shape[^1] != inputs)
        {
            throw new ArgumentException($"{Name} takes float32 [..., {inputs}] input, got {input.dtype} [{string.Join(", ", input.shape)}].", nameof(input));
        }

        long[] outputShape = [.. input.shape[..^1], outputs];
        using var scope = NewDisposeScope();
        Tensor rows = input.reshape(-1, inputs).contiguous();
        Tensor result;
        bool activated;
        using (QuantizedActivation? quantized = QuantizedActivation.Quantize(rows, ActivationLevels))
        {
            if (quantized is null)
            {
                result = nn.functional.linear(rows, _weight.Dequantize(), _bias);
                activated = false;
            }
            else
            {
                result = OneDnnInt8Linear.Forward(quantized.Values, quantized.Scale, quantized.ZeroPoint, _packed, _weight, _weightZeroPoints, _bias, _fusedGelu, _tanhGelu)
                    ?? throw new InvalidOperationException($"oneDNN's int8 linear ({Name}) failed on an input of shape [{string.Join(", ", input.shape)}]; compile the session without int8.");
                activated = _fusedGelu;
            }
        }

        if (!activated && _activation is { } activation)
        {
            Activations.ApplyInPlace(activation, result);
        }

        return result.view(outputShape).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _weight.Dispose();
        _packed.Dispose();
        _weightZeroPoints.Dispose();
        _bias.Dispose();
    }

    /// <summary>A probe input through this kernel and through float32, within <see cref="CreationTolerance"/>.</summary>
    private bool AgreesWithFloat32(Tensor weight)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor probe = linspace(-1, 1, 4 * weight.shape[1], dtype: ScalarType.Float32).view(4, -1);
        Tensor fast = Forward(probe);
        Tensor plain = nn.functional.linear(probe, weight, _bias);
        if (_activation is { } activation)
        {
            Activations.ApplyInPlace(activation, plain);
        }

        double scale = Math.Max(1e-6, plain.abs().max().item<float>());
        return fast.sub(plain).abs().max().item<float>() <= CreationTolerance * scale;
    }
}
