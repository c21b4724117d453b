using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// One transformer layer's matrices converted to a lower precision for one forward pass (see
/// <see cref="AlbertPreTrainedModel{TOutput}.MatMulDType"/>). ALBERT's layer steps share their layers, so a pass converts
/// each distinct layer once however many steps use it.
/// </summary>
/// <remarks>
/// The copies are made per pass rather than kept: nothing can go stale when the parameters change (loading, training,
/// in-place edits), and concurrent passes each own theirs. The cost is one read of the float32 matrices per pass
/// (28 MB for albert-base), small beside the pass's matrix products at any batch.
/// The biases are converted too and added inside the products: each product's output is rounded to the low precision
/// once, with its bias in it, and the residual sums that take the attention and feed-forward outputs are computed in the
/// model's dtype (type promotion), so the residual stream never holds low-precision values.
/// </remarks>
internal sealed class LowPrecisionLayerWeights : IDisposable
{
    public LowPrecisionLayerWeights(
        Tensor qkvWeight, Tensor qkvBias, Tensor denseWeight, Tensor denseBias, Tensor ffnWeight, Tensor ffnBias, Tensor ffnOutputWeight, Tensor ffnOutputBias)
    {
        QkvWeight = qkvWeight;
        QkvBias = qkvBias;
        DenseWeight = denseWeight;
        DenseBias = denseBias;
        FfnWeight = ffnWeight;
        FfnBias = ffnBias;
        FfnOutputWeight = ffnOutputWeight;
        FfnOutputBias = ffnOutputBias;
    }

    /// <summary>Fused query/key/value weight <c>[3·A, H]</c>.</summary>
    public Tensor QkvWeight { get; }

    /// <summary>Fused query/key/value bias <c>[3·A]</c>.</summary>
    public Tensor QkvBias { get; }

    /// <summary>Attention output weight <c>[H, A]</c>.</summary>
    public Tensor DenseWeight { get; }

    /// <summary>Attention output bias <c>[H]</c>.</summary>
    public Tensor DenseBias { get; }

    /// <summary>Feed-forward weight <c>[I, H]</c>.</summary>
    public Tensor FfnWeight { get; }

    /// <summary>Feed-forward bias <c>[I]</c>.</summary>
    public Tensor FfnBias { get; }

    /// <summary>Feed-forward output weight <c>[H, I]</c>.</summary>
    public Tensor FfnOutputWeight { get; }

    /// <summary>Feed-forward output bias <c>[H]</c>.</summary>
    public Tensor FfnOutputBias { get; }

    public void Dispose()
    {
        QkvWeight.Dispose();
        QkvBias.Dispose();
        DenseWeight.Dispose();
        FfnWeight.Dispose();
        FfnBias.Dispose();
        FfnOutputWeight.Dispose();
        FfnOutputBias.Dispose();
        DenseBias.Dispose();
    }
}
