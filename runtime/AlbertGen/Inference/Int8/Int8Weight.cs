using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Int8;

/// <summary>
/// A linear layer's float32 weight <c>[N, K]</c> quantised symmetrically to int8, one scale per output row (per channel)
/// or one for the whole matrix (per tensor): <c>weight ≈ values · scales</c>.
/// </summary>
internal sealed class Int8Weight : IDisposable
{
    private Int8Weight(Tensor values, Tensor scales, int levels)
    {
        Values = values;
        Scales = scales;
        Levels = levels;
    }

    /// <summary>The int8 values, <c>[N, K]</c>, in <c>[-Levels, Levels]</c>.</summary>
    public Tensor Values { get; }

    /// <summary>The float32 scales, <c>[N]</c> (one value repeated for per-tensor quantisation).</summary>
    public Tensor Scales { get; }

    /// <summary>The largest magnitude a value takes (127 for 8 bits).</summary>
    public int Levels { get; }

    /// <summary>Quantises <paramref name="weight"/> (float32 <c>[N, K]</c> on the CPU) to <paramref name="levels"/> levels each side of 0.</summary>
    public static Int8Weight Quantize(Tensor weight, Int8Granularity granularity, int levels = 127)
    {
        if (weight.dtype != ScalarType.Float32 || weight.dim() != 2 || weight.device_type != DeviceType.CPU)
        {
            throw new ArgumentException($"int8 quantisation takes a float32 [N, K] CPU weight, got {weight.dtype} [{string.Join(", ", weight.shape)}] on {weight.device_type}.", nameof(weight));
        }

        if (levels is < 1 or > 127)
        {
            throw new ArgumentOutOfRangeException(nameof(levels), levels, "int8 quantisation uses 1 to 127 levels each side of 0.");
        }

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Tensor magnitude = granularity == Int8Granularity.PerChannel
            ? weight.abs().amax(new long[] { 1 })
            : weight.abs().max().expand(weight.shape[0]).contiguous();

        // An all-zero row gets scale 1 so that quantising it divides by something; its values are 0 either way.
        Tensor scales = magnitude.div(levels).where(magnitude.gt(0), ones_like(magnitude));
        Tensor values = weight.div(scales.unsqueeze(1)).round_().clamp_(-levels, levels).to(ScalarType.Int8);
        return new Int8Weight(values.contiguous().MoveToOuterDisposeScope(), scales.contiguous().MoveToOuterDisposeScope(), levels);
    }

    /// <summary>The float32 weight these values stand for, <c>values · scales</c>.</summary>
    public Tensor Dequantize() => Values.to(ScalarType.Float32).mul_(Scales.unsqueeze(1));

    public void Dispose()
    {
        Values.Dispose();
        Scales.Dispose();
    }
}

/// <summary>How many scales an int8 weight has.</summary>
internal enum Int8Granularity
{
    /// <summary>One scale per output row: the error of each row follows that row's own range.</summary>
    PerChannel,

    /// <summary>One scale for the whole matrix, as ONNX Runtime's dynamic quantisation does by default.</summary>
    PerTensor,
}
