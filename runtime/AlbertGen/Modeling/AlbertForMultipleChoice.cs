using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// ALBERT for multiple choice (HuggingFace <c>AlbertForMultipleChoice</c>): inputs <c>[B, C, S]</c> are flattened to
/// <c>[B·C, S]</c>, each pooled output is scored by <c>classifier</c> H→1, and the scores are reshaped to <c>[B, C]</c>.
/// </summary>
public class AlbertForMultipleChoice : AlbertPreTrainedModel<MultipleChoiceOutput>
{
    private readonly AlbertModel albert;
    private readonly AlbertLinear classifier;

    /// <summary>Creates a randomly initialised model.</summary>
    /// <param name="config">The configuration.</param>
    public AlbertForMultipleChoice(AlbertConfig config) : this(config, random: true)
    {
    }

    /// <summary>Creates the model; with <paramref name="random"/> false its layers are left uninitialised (weights about to be loaded).</summary>
    internal AlbertForMultipleChoice(AlbertConfig config, bool random) : base(AlbertHeadRegistry.Of(AlbertHeads.MultipleChoice).HuggingFaceName, config)
    {
        albert = new AlbertModel(config, addPoolingLayer: true, random, initialize: false);
        classifier = new AlbertLinear(config.HiddenSize, 1, random);
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
    public static AlbertForMultipleChoice FromPretrained(string directory, Checkpoints.LoadOptions? options = null) =>
        FromPretrained(directory, config => new AlbertForMultipleChoice(config, random: false), options);

    /// <inheritdoc />
    public override string HuggingFaceClassName => AlbertHeadRegistry.Of(AlbertHeads.MultipleChoice).HuggingFaceName;

    internal override string BodyPrefix => "albert.";

    internal override Parameter WordEmbeddingWeight => albert.WordEmbeddingWeight;

    internal override AlbertTransformer Encoder => albert.Encoder;

    internal override AlbertModel Body => albert;

    /// <summary>Scores each choice and, with <see cref="AlbertInputs.Labels"/> <c>[B]</c>, the cross-entropy over choices.</summary>
    /// <param name="inputs">Per-token inputs <c>[B, C, S]</c> (embeddings <c>[B, C, S, E]</c>); head mask as usual.</param>
    /// <returns>Loss, logits <c>[B, C]</c>, optional hidden states and attentions (over the flattened <c>B·C</c> batch).</returns>
    /// <exception cref="InputShapeException">An input does not have the choice dimension.</exception>
    public override MultipleChoiceOutput forward(AlbertInputs inputs) => Forward(inputs, null);

    internal override MultipleChoiceOutput Forward(AlbertInputs inputs, IEncoderExecution? execution)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        Tensor reference = inputs.InputIds ?? inputs.InputsEmbeds
            ?? throw new AlbertInputException("Neither InputIds nor InputsEmbeds was given; pass exactly one of them.", nameof(AlbertInputs.InputIds));
        int perToken = inputs.InputIds is null ? 4 : 3;
        if (reference.Dimensions != perToken)
        {
            throw new InputShapeException(
                $"{(inputs.InputIds is null ? nameof(AlbertInputs.InputsEmbeds) : nameof(AlbertInputs.InputIds))} has shape {AlbertInputValidator.Shape(reference)}; multiple choice expects [batch, choices, sequence{(perToken == 4 ? ", embedding_size" : "")}].",
                inputs.InputIds is null ? nameof(AlbertInputs.InputsEmbeds) : nameof(AlbertInputs.InputIds));
        }

        long choices = reference.shape[1];
        var flat = new AlbertInputs
        {
            InputIds = Flatten(inputs.InputIds, nameof(AlbertInputs.InputIds)),
            AttentionMask = Flatten(inputs.AttentionMask, nameof(AlbertInputs.AttentionMask)),
            TokenTypeIds = Flatten(inputs.TokenTypeIds, nameof(AlbertInputs.TokenTypeIds)),
            PositionIds = Flatten(inputs.PositionIds, nameof(AlbertInputs.PositionIds)),
            InputsEmbeds = inputs.InputsEmbeds?.view(-1, inputs.InputsEmbeds.shape[^2], inputs.InputsEmbeds.shape[^1]),
            HeadMask = inputs.HeadMask,
            OutputHiddenStates = inputs.OutputHiddenStates,
            OutputAttentions = inputs.OutputAttentions,
        };

        AlbertModelOutput body = albert.Forward(flat, execution);
        Tensor dropped = nn.functional.dropout(body.PoolerOutput!, Config.ClassifierDropoutProb, training);
        Tensor logits = classifier.forward(dropped).view(-1, choices); // [B, C]
        Tensor? loss = inputs.Labels is { } labels ? Losses.CrossEntropy(logits, labels.view(-1)) : null;
        var output = new MultipleChoiceOutput(loss, logits, body.HiddenStates, body.Attentions);
        output.MoveToOuterDisposeScope();
        return output;
    }

    private static Tensor? Flatten(Tensor? t, string name)
    {
        if (t is null)
        {
            return null;
        }

        if (t.Dimensions < 2)
        {
            throw new InputShapeException($"{name} has shape {AlbertInputValidator.Shape(t)}; multiple choice expects [batch, choices, sequence].", name);
        }

        return t.reshape(-1, t.shape[^1]);
    }
}
