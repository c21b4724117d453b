using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// One transformer layer: attention, then the feed-forward block <c>ffn_output(act(ffn(x)))</c> with residual and
/// <c>full_layer_layer_norm</c> (HuggingFace <c>AlbertLayer</c>, which applies no dropout after the feed-forward block).
/// </summary>
internal sealed class AlbertLayer : nn.Module<Tensor, Tensor?, Tensor?, bool, (Tensor Output, Tensor? Probs)>
{
    private readonly AlbertAttention attention;
    private readonly Linear ffn;
    private readonly Linear ffn_output;
    private readonly LayerNorm full_layer_layer_norm;
    private readonly AlbertActivation _activation;

    public AlbertLayer(AlbertConfig config) : base("AlbertLayer")
    {
        full_layer_layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        attention = new AlbertAttention(config);
        ffn = nn.Linear(config.HiddenSize, config.IntermediateSize);
        ffn_output = nn.Linear(config.IntermediateSize, config.HiddenSize);
        _activation = config.HiddenAct;
        RegisterComponents();
    }

    /// <summary>Runs the layer on <paramref name="hidden"/> <c>[B, S, H]</c>.</summary>
    public override (Tensor Output, Tensor? Probs) forward(Tensor hidden, Tensor? mask, Tensor? headMask, bool outputAttentions)
    {
        if (!training && !is_grad_enabled())
        {
            return InferenceForward(hidden, mask, headMask, outputAttentions);
        }

        using var scope = NewDisposeScope();
        (Tensor attended, Tensor? probs) = attention.forward(hidden, mask, headMask, outputAttentions);
        Tensor inner = Activations.Apply(_activation, ffn.forward(attended)); // [B, S, I]
        Tensor output = full_layer_layer_norm.forward(ffn_output.forward(inner).add_(attended));
        output.MoveToOuterDisposeScope();
        probs?.MoveToOuterDisposeScope();
        return (output, probs);
    }

    /// <summary><c>act(ffn(x))</c> for inference: one oneDNN product with the activation fused where that is faster.</summary>
    private Tensor FeedForwardActivated(Tensor attended)
    {
        if (ffn.bias is { } bias && OneDnnLinear.TryForward(attended, ffn.weight!, bias, _activation) is { } fused)
        {
            return fused;
        }

        Tensor inner = ffn.forward(attended);
        Activations.ApplyInPlace(_activation, inner);
        return inner;
    }

    /// <summary>Whether <see cref="LowPrecisionForward"/> can run this layer.</summary>
    internal bool SupportsLowPrecision => attention.SupportsLowPrecision && ffn.bias is not null && ffn_output.bias is not null;

    /// <summary>This layer's matrices converted to <paramref name="dtype"/>, for one forward pass.</summary>
    internal LowPrecisionLayerWeights LowPrecisionWeights(ScalarType dtype)
    {
        (Tensor qkvWeight, Tensor qkvBias, Tensor denseWeight, Tensor denseBias) = attention.LowPrecisionWeights(dtype);
        return new LowPrecisionLayerWeights(
            qkvWeight, qkvBias, denseWeight, denseBias, ffn.weight!.to(dtype), ffn.bias!.to(dtype), ffn_output.weight!.to(dtype), ffn_output.bias!.to(dtype));
    }

    /// <summary>
    /// Inference with the matrix products, the attention kernel and the activation in the low precision of
    /// <paramref name="weights"/>; residual additions and LayerNorms stay in the dtype of <paramref name="hidden"/>.
    /// </summary>
    internal Tensor LowPrecisionForward(Tensor hidden, Tensor? lowMask, LowPrecisionLayerWeights weights)
    {
        using Tensor attended = attention.LowPrecisionForward(hidden, lowMask, weights);
        Tensor projected;
        using (Tensor lowAttended = attended.to(weights.FfnWeight.dtype))
        using (Tensor inner = nn.functional.linear(lowAttended, weights.FfnWeight, weights.FfnBias)) // [B, S, I]
        {
            Activations.ApplyInPlace(_activation, inner);
            using Tensor lowProjected = nn.functional.linear(inner, weights.FfnOutputWeight, weights.FfnOutputBias);
            projected = attended.add(lowProjected); // type promotion: the residual sum is computed and kept in attended's dtype
        }

        using (projected)
        {
            return full_layer_layer_norm.forward(projected);
        }
    }

    /// <summary>
    /// Inference (eval mode, no gradients): the same arithmetic, with the activation applied in place and each intermediate
    /// released as soon as it has been used, so that at most one <c>[B, S, I]</c> tensor is alive.
    /// </summary>
    private (Tensor Output, Tensor? Probs) InferenceForward(Tensor hidden, Tensor? mask, Tensor? headMask, bool outputAttentions)
    {
        (Tensor attended, Tensor? probs) = attention.forward(hidden, mask, headMask, outputAttentions);
        using (attended)
        {
            Tensor projected;
            using (Tensor inner = FeedForwardActivated(attended)) // [B, S, I]
            {
                projected = ffn_output.forward(inner);
            }

            using (projected)
            {
                projected.add_(attended);
                return (full_layer_layer_norm.forward(projected), probs);
            }
        }
    }
}
