using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// The masked-LM head <c>predictions</c> (HuggingFace <c>AlbertMLMHead</c>): dense H→E, <c>hidden_act</c>, LayerNorm,
/// then the decoder E→V whose weight is the word-embedding table itself (tied: one tensor) and whose bias is
/// <c>predictions.bias</c>.
/// </summary>
internal sealed class AlbertMLMHead : nn.Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // Field names are the checkpoint names.
    private readonly LayerNorm LayerNorm;
#pragma warning restore IDE1006
    private readonly Parameter bias;
    private readonly AlbertLinear dense;
    private readonly AlbertActivation _activation;

    public AlbertMLMHead(AlbertConfig config, bool random) : base("AlbertMLMHead")
    {
        LayerNorm = nn.LayerNorm(config.EmbeddingSize, config.LayerNormEps);
        bias = new Parameter(zeros(config.VocabSize));
        dense = new AlbertLinear(config.HiddenSize, config.EmbeddingSize, random);
        _activation = config.HiddenAct;
        RegisterComponents();
    }

    /// <summary>Computes vocabulary logits.</summary>
    /// <param name="hidden">Hidden states <c>[B, S, H]</c>.</param>
    /// <param name="decoderWeight">The word-embedding table <c>[V, E]</c>.</param>
    /// <returns>Logits <c>[B, S, V]</c>.</returns>
    public override Tensor forward(Tensor hidden, Tensor decoderWeight)
    {
        using var scope = NewDisposeScope();
        Tensor x = Activations.Apply(_activation, dense.forward(hidden)); // [B, S, E]
        x = LayerNorm.forward(x);
        // The bias is looked up by name: Module.to(dtype/device) may replace parameter objects.
        Tensor logits = nn.functional.linear(x, decoderWeight, get_parameter("bias"));
        return logits.MoveToOuterDisposeScope();
    }
}
