using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// ALBERT for extractive question answering (HuggingFace <c>AlbertForQuestionAnswering</c>): no pooler;
/// <c>qa_outputs</c> H→2 gives start and end logits per token.
/// </summary>
public class AlbertForQuestionAnswering : AlbertPreTrainedModel<QuestionAnsweringOutput>
{
    private readonly AlbertModel albert;
    private readonly AlbertLinear qa_outputs;

    /// <summary>Creates a randomly initialised model.</summary>
    /// <param name="config">The configuration; <c>num_labels</c> must be 2 (start and end).</param>
    /// <exception cref="ArgumentException"><c>num_labels</c> is not 2.</exception>
    public AlbertForQuestionAnswering(AlbertConfig config) : this(config, random: true)
    {
    }

    /// <summary>Creates the model; with <paramref name="random"/> false its layers are left uninitialised (weights about to be loaded).</summary>
    internal AlbertForQuestionAnswering(AlbertConfig config, bool random) : base(AlbertHeadRegistry.Of(AlbertHeads.QuestionAnswering).HuggingFaceName, config)
    {
        if (config.NumLabels != 2)
        {
            throw new ArgumentException(
                $"AlbertForQuestionAnswering needs num_labels = 2 (start and end logits); the config has {config.NumLabels}.",
                nameof(config));
        }

        albert = new AlbertModel(config, addPoolingLayer: false, random, initialize: false);
        qa_outputs = new AlbertLinear(config.HiddenSize, config.NumLabels, random);
        register_module("albert", albert);
        register_module("qa_outputs", qa_outputs);
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
    public static AlbertForQuestionAnswering FromPretrained(string directory, Checkpoints.LoadOptions? options = null) =>
        FromPretrained(directory, config => new AlbertForQuestionAnswering(config, random: false), options);

    /// <inheritdoc />
    public override string HuggingFaceClassName => AlbertHeadRegistry.Of(AlbertHeads.QuestionAnswering).HuggingFaceName;

    internal override string BodyPrefix => "albert.";

    internal override Parameter WordEmbeddingWeight => albert.WordEmbeddingWeight;

    internal override AlbertTransformer Encoder => albert.Encoder;

    internal override AlbertModel Body => albert;

    /// <summary>
    /// Computes start and end logits and, when <see cref="AlbertInputs.StartPositions"/> and
    /// <see cref="AlbertInputs.EndPositions"/> <c>[B]</c> are both given, the mean of their cross-entropies. Positions are
    /// clamped to [0, S]; S (outside the sequence) is ignored.
    /// </summary>
    /// <param name="inputs">The inputs.</param>
    /// <returns>Loss, start and end logits <c>[B, S]</c>, optional hidden states and attentions.</returns>
    public override QuestionAnsweringOutput forward(AlbertInputs inputs) => Forward(inputs, null);

    internal override QuestionAnsweringOutput Forward(AlbertInputs inputs, IEncoderExecution? execution)
    {
        using var scope = NewDisposeScope();
        AlbertModelOutput body = albert.Forward(inputs, execution);
        Tensor logits = qa_outputs.forward(body.LastHiddenState); // [B, S, 2]
        Tensor start = logits.select(-1, 0).contiguous();
        Tensor end = logits.select(-1, 1).contiguous();
        Tensor? loss = null;
        if (inputs.StartPositions is { } startPositions && inputs.EndPositions is { } endPositions)
        {
            long ignored = start.shape[1];
            Tensor startLoss = Losses.CrossEntropy(start, Positions(startPositions, ignored), ignored);
            Tensor endLoss = Losses.CrossEntropy(end, Positions(endPositions, ignored), ignored);
            loss = startLoss.add(endLoss).div_(2);
        }

        var output = new QuestionAnsweringOutput(loss, start, end, body.HiddenStates, body.Attentions);
        output.MoveToOuterDisposeScope();
        return output;
    }

    private static Tensor Positions(Tensor positions, long seq)
    {
        Tensor p = positions.Dimensions > 1 ? positions.squeeze(-1) : positions;
        return p.to(ScalarType.Int64).clamp(0, seq);
    }
}
