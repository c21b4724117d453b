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
        ffn = ModuleFactory.Linear(config.HiddenSize, config.IntermediateSize);
        ffn_output = ModuleFactory.Linear(config.IntermediateSize, config.HiddenSize);
        _activation = config.HiddenAct;
        RegisterComponents();
    }

    /// <summary>When set, training passes run the layer's products in this dtype (<see cref="MixedPrecision"/>).</summary>
    internal ScalarType? TrainingMatMulDType
    {
        get => attention.TrainingMatMulDType;
        set => attention.TrainingMatMulDType = value;
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
        ScalarType? productDType = training ? TrainingMatMulDType : null;
        Tensor inner = Activations.Apply(_activation, MixedPrecision.Linear(ffn, attended, productDType)); // [B, S, I]
        Tensor output = full_layer_layer_norm.forward(MixedPrecision.Linear(ffn_output, inner, productDType).add_(attended));
        output.MoveToOuterDisposeScope();
        probs?.MoveToOuterDisposeScope();
        return (output, probs);
    }

    /// <summary>Whether <see cref="PreparedForward"/> can run this layer.</summary>
    internal bool SupportsPreparedForward => attention.SupportsPreparedForward && ffn.bias is not null && ffn_output.bias is not null;

    /// <summary>This layer's four products prepared for inference in <paramref name="dtype"/>, packed for oneDNN when asked.</summary>
    internal PreparedLayerWeights PrepareWeights(ScalarType dtype, bool pack)
    {
        (PreparedLinear qkv, PreparedLinear dense) = attention.PrepareWeights(dtype, pack);
        return new PreparedLayerWeights(
            qkv, dense, PreparedLinear.Create(ffn.weight!, ffn.bias!, dtype, pack), PreparedLinear.Create(ffn_output.weight!, ffn_output.bias!, dtype, pack));
    }

    /// <summary>
    /// Inference with the products, the attention kernel and the activation in the dtype of <paramref name="weights"/>;
    /// residual additions and LayerNorms stay in the dtype of <paramref name="hidden"/>.
    /// </summary>
    internal Tensor PreparedForward(Tensor hidden, Tensor? mask, PreparedLayerWeights weights)
    {
        using Tensor attended = attention.PreparedForward(hidden, mask, weights);
        Tensor projected;
        using (Tensor input = attended.to(weights.Ffn.DType))
        using (Tensor inner = weights.Ffn.Forward(input, _activation)) // [B, S, I]
        using (Tensor output = weights.FfnOutput.Forward(inner))
        {
            projected = attended.add(output); // in a lower precision, type promotion keeps the residual sum in attended's dtype
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
            using (Tensor inner = ffn.forward(attended)) // [B, S, I]
            {
                Activations.ApplyInPlace(_activation, inner);
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
