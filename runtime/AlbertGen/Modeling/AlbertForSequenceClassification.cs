using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// ALBERT with a classifier on the pooled output (HuggingFace <c>AlbertForSequenceClassification</c>): dropout
/// (<c>classifier_dropout_prob</c>) and <c>classifier</c> H→num_labels.
/// </summary>
public class AlbertForSequenceClassification : AlbertPreTrainedModel<SequenceClassifierOutput>
{
    private readonly AlbertModel albert;
    private readonly AlbertLinear classifier;

    /// <summary>Creates a randomly initialised model.</summary>
    /// <param name="config">The configuration (<c>num_labels</c>, <c>problem_type</c>).</param>
    public AlbertForSequenceClassification(AlbertConfig config) : this(config, random: true)
    {
    }

    /// <summary>Creates the model; with <paramref name="random"/> false its layers are left uninitialised (weights about to be loaded).</summary>
    internal AlbertForSequenceClassification(AlbertConfig config, bool random) : base(AlbertHeadRegistry.Of(AlbertHeads.SequenceClassification).HuggingFaceName, config)
    {
        albert = new AlbertModel(config, addPoolingLayer: true, random, initialize: false);
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
    public static AlbertForSequenceClassification FromPretrained(string directory, Checkpoints.LoadOptions? options = null) =>
        FromPretrained(directory, config => new AlbertForSequenceClassification(config, random: false), options);

    /// <inheritdoc />
    public override string HuggingFaceClassName => AlbertHeadRegistry.Of(AlbertHeads.SequenceClassification).HuggingFaceName;

    internal override string BodyPrefix => "albert.";

    internal override Parameter WordEmbeddingWeight => albert.WordEmbeddingWeight;

    internal override AlbertTransformer Encoder => albert.Encoder;

    internal override AlbertModel Body => albert;

    /// <summary>
    /// The loss a call uses: <c>problem_type</c> when the config has one; otherwise, as HuggingFace infers it, regression
    /// when num_labels = 1, single-label when the labels are integers, multi-label otherwise.
    /// </summary>
    /// <param name="labels">The labels of the call.</param>
    /// <returns>The problem type.</returns>
    public ProblemType ResolveProblemType(Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (Config.ProblemType is { } configured)
        {
            return configured;
        }

        if (Config.NumLabels == 1)
        {
            return ProblemType.Regression;
        }

        return labels.dtype is ScalarType.Int64 or ScalarType.Int32
            ? ProblemType.SingleLabelClassification
            : ProblemType.MultiLabelClassification;
    }

    /// <summary>Computes logits and, with <see cref="AlbertInputs.Labels"/>, the loss of <see cref="ResolveProblemType"/>.</summary>
    /// <param name="inputs">The inputs; labels <c>[B]</c> int64 (single-label), <c>[B]</c> or <c>[B, n]</c> float (regression),
    /// <c>[B, n]</c> float (multi-label).</param>
    /// <returns>Loss, logits <c>[B, num_labels]</c>, optional hidden states and attentions.</returns>
    public override SequenceClassifierOutput forward(AlbertInputs inputs) => Forward(inputs, null);

    internal override SequenceClassifierOutput Forward(AlbertInputs inputs, IEncoderExecution? execution)
    {
        using var scope = NewDisposeScope();
        AlbertModelOutput body = albert.Forward(inputs, execution);
        Tensor dropped = nn.functional.dropout(body.PoolerOutput!, Config.ClassifierDropoutProb, training);
        Tensor logits = classifier.forward(dropped);
        Tensor? loss = null;
        if (inputs.Labels is { } labels)
        {
            loss = ResolveProblemType(labels) switch
            {
                ProblemType.Regression when Config.NumLabels == 1 => Losses.MeanSquaredError(logits.squeeze(), labels.squeeze()),
                ProblemType.Regression => Losses.MeanSquaredError(logits, labels),
                ProblemType.SingleLabelClassification => Losses.CrossEntropy(logits.view(-1, Config.NumLabels), labels.view(-1)),
                _ => Losses.BinaryCrossEntropyWithLogits(logits, labels),
            };
        }

        var output = new SequenceClassifierOutput(loss, logits, body.HiddenStates, body.Attentions);
        output.MoveToOuterDisposeScope();
        return output;
    }
}
