using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// ALBERT with the masked-LM head (HuggingFace <c>AlbertForMaskedLM</c>): no pooler; the decoder weight is the word-embedding
/// table (the same tensor), its bias <c>predictions.bias</c>.
/// </summary>
public class AlbertForMaskedLM : AlbertPreTrainedModel<MaskedLMOutput>
{
    private readonly AlbertModel albert;
    private readonly AlbertMLMHead predictions;

    /// <summary>Creates a randomly initialised model.</summary>
    /// <param name="config">The configuration.</param>
    public AlbertForMaskedLM(AlbertConfig config) : this(config, random: true)
    {
    }

    /// <summary>Creates the model; with <paramref name="random"/> false its layers are left uninitialised (weights about to be loaded).</summary>
    internal AlbertForMaskedLM(AlbertConfig config, bool random) : base(AlbertHeadRegistry.Of(AlbertHeads.MaskedLM).HuggingFaceName, config)
    {
        albert = new AlbertModel(config, addPoolingLayer: false, random, initialize: false);
        predictions = new AlbertMLMHead(config, random);
        register_module("albert", albert);
        register_module("predictions", predictions);
        if (random)
        {
            InitializeWeights();
        }
    }

    /// <summary>Loads a model from a HuggingFace directory (<c>config.json</c> + weights), in eval mode.</summary>
    /// <param name="directory">Directory with <c>config.json</c> and <c>model.safetensors</c> (or a sharded index).</param>
    /// <param name="options">Loading options (strictness, fine-tuning preparation, device, dtype).</param>
    /// <returns>The loaded model.</returns>
    /// <exception cref="AlbertConfigException">The config is invalid.</exception>
    /// <exception cref="Checkpoints.CheckpointException">The weights do not fit the model.</exception>
    public static AlbertForMaskedLM FromPretrained(string directory, Checkpoints.LoadOptions? options = null) =>
        FromPretrained(directory, config => new AlbertForMaskedLM(config, random: false), options);

    /// <inheritdoc />
    public override string HuggingFaceClassName => AlbertHeadRegistry.Of(AlbertHeads.MaskedLM).HuggingFaceName;

    internal override string BodyPrefix => "albert.";

    internal override Parameter WordEmbeddingWeight => albert.WordEmbeddingWeight;

    internal override AlbertTransformer Encoder => albert.Encoder;

    internal override AlbertModel Body => albert;

    /// <summary>Computes vocabulary logits, and the cross-entropy over labels other than -100 when
    /// <see cref="AlbertInputs.Labels"/> <c>[B, S]</c> is given.</summary>
    /// <param name="inputs">The inputs.</param>
    /// <returns>Loss, logits <c>[B, S, V]</c>, optional hidden states and attentions.</returns>
    public override MaskedLMOutput forward(AlbertInputs inputs) => Forward(inputs, null);

    internal override MaskedLMOutput Forward(AlbertInputs inputs, IEncoderExecution? execution)
    {
        using var scope = NewDisposeScope();
        AlbertModelOutput body = albert.Forward(inputs, execution);
        Tensor logits = predictions.forward(body.LastHiddenState, WordEmbeddingWeight);
        Tensor? loss = inputs.Labels is { } labels
            ? Losses.CrossEntropy(logits.view(-1, Config.VocabSize), labels.view(-1))
            : null;
        var output = new MaskedLMOutput(loss, logits, body.HiddenStates, body.Attentions);
        output.MoveToOuterDisposeScope();
        return output;
    }
}
