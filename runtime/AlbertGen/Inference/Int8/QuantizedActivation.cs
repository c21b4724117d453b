using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Int8;

/// <summary>
/// Float32 activations <c>[M, K]</c> quantised to unsigned 8-bit integers from their own range at this call (dynamic,
/// per tensor, asymmetric, 0 exactly representable): <c>x ≈ (values − zeroPoint) · scale</c>.
/// </summary>
internal sealed class QuantizedActivation : IDisposable
{
    private readonly Tensor? _owner;

    private QuantizedActivation(Tensor values, Tensor? owner, Tensor scale, Tensor zeroPoint)
    {
        Values = values;
        _owner = owner;
        Scale = scale;
        ZeroPoint = zeroPoint;
    }

    /// <summary>The uint8 values, <c>[M, K]</c> (a view of the quantised tensor's memory where libtorch allows it).</summary>
    public Tensor Values { get; }

    /// <summary>The scale, a one-element float64 tensor.</summary>
    public Tensor Scale { get; }

    /// <summary>The zero point, a one-element int64 tensor.</summary>
    public Tensor ZeroPoint { get; }

    /// <summary>
    /// Quantises <paramref name="rows"/> (float32 <c>[M, K]</c>, contiguous, CPU) with one scale for the whole tensor to
    /// <c>0 … maxLevel</c>; null when the input holds a NaN or an infinity.
    /// </summary>
    public static QuantizedActivation? Quantize(Tensor rows, int maxLevel)
    {
        (Tensor minimum, Tensor maximum) = rows.aminmax();
        double low, high;
        using (minimum)
        using (maximum)
        {
            low = Math.Min(minimum.item<float>(), 0);
            high = Math.Max(maximum.item<float>(), 0);
        }

        if (!double.IsFinite(low) || !double.IsFinite(high))
        {
            return null;
        }

        double scale = high > low ? (high - low) / maxLevel : 1.0;
        long zeroPoint = Math.Clamp((long)Math.Round(-low / scale), 0, maxLevel);
        Tensor quantized = quantize_per_tensor(rows, scale, zeroPoint, ScalarType.QUInt8);
        Tensor scaleTensor = tensor(scale, ScalarType.Float64), zeroPointTensor = tensor(zeroPoint, ScalarType.Int64);
        if (OneDnnInt8Linear.ViewAsBytes(quantized) is { } view)
        {
            return new QuantizedActivation(view, quantized, scaleTensor, zeroPointTensor);
        }

        using (quantized)
        {
            return new QuantizedActivation(quantized.int_repr(), null, scaleTensor, zeroPointTensor);
        }
    }

    public void Dispose()
    {
        Values.Dispose(); // a view of _owner's memory, when there is one: disposed first
        _owner?.Dispose();
        Scale.Dispose();
        ZeroPoint.Dispose();
    }
}
