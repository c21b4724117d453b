using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// ALBERT with a classifier per token (HuggingFace <c>AlbertForTokenClassification</c>): no pooler; dropout
/// (<c>classifier_dropout_prob</c>) and <c>classifier</c> H→num_labels.
/// </summary>
public class AlbertForTokenClassification : AlbertPreTrainedModel<TokenClassifierOutput>
{
    private readonly AlbertModel albert;
    private readonly AlbertLinear classifier;

    /// <summary>Creates a randomly initialised model.</summary>
    /// <param name="config">The configuration (<c>num_labels</c>).</param>
    public AlbertForTokenClassification(AlbertConfig config) : this(config, random: true)
    {
    }

    /// <summary>Creates the model; with <paramref name="random"/> false its layers are left uninitialised (weights about to be loaded).</summary>
    internal AlbertForTokenClassification(AlbertConfig config, bool random) : base(AlbertHeadRegistry.Of(AlbertHeads.TokenClassification).HuggingFaceName, config)
    {
        albert = new AlbertModel(config, addPoolingLayer: false, random, initialize: false);
        classifier = new AlbertLinear(config.HiddenSize, config.NumLabels, random);
        register_module("albert", albert);
        register_module("classifier", classifier);
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
    public static AlbertForTokenClassification FromPretrained(string directory, Checkpoints.LoadOptions? options = null) =>
        FromPretrained(directory, config => new AlbertForTokenClassification(config, random: false), options);

    /// <inheritdoc />
    public override string HuggingFaceClassName => AlbertHeadRegistry.Of(AlbertHeads.TokenClassification).HuggingFaceName;

    internal override string BodyPrefix => "albert.";

    internal override Parameter WordEmbeddingWeight => albert.WordEmbeddingWeight;

    internal override AlbertTransformer Encoder => albert.Encoder;

    internal override AlbertModel Body => albert;

    /// <summary>
    /// Computes logits per token and, with <see cref="AlbertInputs.Labels"/> <c>[B, S]</c>, the cross-entropy over tokens
    /// whose label is not -100 and, when an attention mask is given, whose mask is 1 (as the reference implementation does).
    /// </summary>
    /// <param name="inputs">The inputs.</param>
    /// <returns>Loss, logits <c>[B, S, num_labels]</c>, optional hidden states and attentions.</returns>
    public override TokenClassifierOutput forward(AlbertInputs inputs) => Forward(inputs, null);

    internal override TokenClassifierOutput Forward(AlbertInputs inputs, IEncoderExecution? execution)
    {
        using var scope = NewDisposeScope();
        AlbertModelOutput body = albert.Forward(inputs, execution);
        Tensor dropped = nn.functional.dropout(body.LastHiddenState, Config.ClassifierDropoutProb, training);
        Tensor logits = classifier.forward(dropped);
        Tensor? loss = null;
        if (inputs.Labels is { } labels)
        {
            Tensor flat = labels.to(ScalarType.Int64, logits.device).view(-1);
            if (inputs.AttentionMask is { } mask)
            {
                Tensor active = mask.to(logits.device).view(-1).eq(1);
                flat = flat.masked_fill(active.logical_not(), Losses.IgnoreIndex);
            }

            loss = Losses.CrossEntropy(logits.view(-1, Config.NumLabels), flat);
        }

        var output = new TokenClassifierOutput(loss, logits, body.HiddenStates, body.Attentions);
        output.MoveToOuterDisposeScope();
        return output;
    }
}
