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
    private readonly AlbertLinear ffn;
    private readonly AlbertLinear ffn_output;
    private readonly LayerNorm full_layer_layer_norm;
    private readonly AlbertActivation _activation;

    public AlbertLayer(AlbertConfig config, bool random) : base("AlbertLayer")
    {
        full_layer_layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        attention = new AlbertAttention(config, random);
        ffn = new AlbertLinear(config.HiddenSize, config.IntermediateSize, random);
        ffn_output = new AlbertLinear(config.IntermediateSize, config.HiddenSize, random);
        _activation = config.HiddenAct;
        RegisterComponents();
    }

    /// <summary>Runs the layer on <paramref name="hidden"/> <c>[B, S, H]</c>.</summary>
    public override (Tensor Output, Tensor? Probs) forward(Tensor hidden, Tensor? mask, Tensor? headMask, bool outputAttentions)
    {
        using var scope = NewDisposeScope();
        (Tensor attended, Tensor? probs) = attention.forward(hidden, mask, headMask, outputAttentions);
        Tensor inner = Activations.Apply(_activation, ffn.forward(attended)); // [B, S, I]
        Tensor output = full_layer_layer_norm.forward(ffn_output.forward(inner).add_(attended));
        output.MoveToOuterDisposeScope();
        probs?.MoveToOuterDisposeScope();
        return (output, probs);
    }

    /// <summary>The attention block.</summary>
    internal AlbertAttention Attention => attention;

    /// <summary>The feed-forward projection <c>H → I</c>.</summary>
    internal AlbertLinear Ffn => ffn;

    /// <summary>The feed-forward output projection <c>I → H</c>.</summary>
    internal AlbertLinear FfnOutput => ffn_output;

    /// <summary>The LayerNorm after the feed-forward residual addition.</summary>
    internal LayerNorm OutputLayerNorm => full_layer_layer_norm;

    /// <summary>The feed-forward activation (<c>hidden_act</c>).</summary>
    internal AlbertActivation Activation => _activation;
}
