using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Int8;

/// <summary>
/// Float32 activations quantised to unsigned 8-bit integers from their own range at this call (dynamic, per tensor,
/// asymmetric): <c>x ≈ (values − zeroPoint) · scale</c>, with 0 exactly representable.
/// </summary>
internal sealed class QuantizedActivation : IDisposable
{
    private QuantizedActivation(Tensor values, double scale, long zeroPoint)
    {
        Values = values;
        ScaleValue = scale;
        ZeroPointValue = zeroPoint;
        Scale = tensor(scale, ScalarType.Float64);
        ZeroPoint = tensor(zeroPoint, ScalarType.Int64);
    }

    /// <summary>The uint8 values, the input's shape.</summary>
    public Tensor Values { get; }

    /// <summary>The scale as a one-element float64 tensor.</summary>
    public Tensor Scale { get; }

    /// <summary>The zero point as a one-element int64 tensor.</summary>
    public Tensor ZeroPoint { get; }

    /// <summary>The scale.</summary>
    public double ScaleValue { get; }

    /// <summary>The zero point.</summary>
    public long ZeroPointValue { get; }

    /// <summary>
    /// Quantises <paramref name="input"/> (float32, contiguous, CPU) to <c>0 … maxLevel</c> (255 for 8 bits; 127 keeps
    /// pairwise int16 sums of AVX2's <c>vpmaddubsw</c> from saturating); null when the input holds a NaN or an infinity.
    /// </summary>
    public static QuantizedActivation? Quantize(Tensor input, int maxLevel)
    {
        (Tensor minimum, Tensor maximum) = input.aminmax();
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
        using Tensor quantized = quantize_per_tensor(input, scale, zeroPoint, ScalarType.QUInt8);
        return new QuantizedActivation(quantized.int_repr(), scale, zeroPoint);
    }

    public void Dispose()
    {
        Values.Dispose();
        Scale.Dispose();
        ZeroPoint.Dispose();
    }
}
