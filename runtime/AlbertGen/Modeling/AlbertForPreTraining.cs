using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// ALBERT with both pretraining heads (HuggingFace <c>AlbertForPreTraining</c>): masked-LM <c>predictions</c> (decoder tied
/// to the word embeddings) and sentence-order prediction <c>sop_classifier</c>.
/// </summary>
public class AlbertForPreTraining : AlbertPreTrainedModel<AlbertForPreTrainingOutput>
{
    private readonly AlbertModel albert;
    private readonly AlbertMLMHead predictions;
    private readonly AlbertSOPHead sop_classifier;

    /// <summary>Creates a randomly initialised model.</summary>
    /// <param name="config">The configuration.</param>
    public AlbertForPreTraining(AlbertConfig config) : this(config, random: true)
    {
    }

    /// <summary>Creates the model; with <paramref name="random"/> false its layers are left uninitialised (weights about to be loaded).</summary>
    internal AlbertForPreTraining(AlbertConfig config, bool random) : base(AlbertHeadRegistry.Of(AlbertHeads.PreTraining).HuggingFaceName, config)
    {
        albert = new AlbertModel(config, addPoolingLayer: true, random, initialize: false);
        predictions = new AlbertMLMHead(config, random);
        sop_classifier = new AlbertSOPHead(config, random);
        register_module("albert", albert);
        register_module("predictions", predictions);
        register_module("sop_classifier", sop_classifier);
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
    public static AlbertForPreTraining FromPretrained(string directory, Checkpoints.LoadOptions? options = null) =>
        FromPretrained(directory, config => new AlbertForPreTraining(config, random: false), options);

    /// <inheritdoc />
    public override string HuggingFaceClassName => AlbertHeadRegistry.Of(AlbertHeads.PreTraining).HuggingFaceName;

    internal override string BodyPrefix => "albert.";

    internal override Parameter WordEmbeddingWeight => albert.WordEmbeddingWeight;

    internal override AlbertTransformer Encoder => albert.Encoder;

    internal override AlbertModel Body => albert;

    /// <summary>Computes MLM and SOP logits, and the summed loss when <see cref="AlbertInputs.Labels"/> <c>[B, S]</c> and
    /// <see cref="AlbertInputs.SentenceOrderLabel"/> <c>[B]</c> are both given.</summary>
    /// <param name="inputs">The inputs.</param>
    /// <returns>Loss, prediction logits <c>[B, S, V]</c>, SOP logits <c>[B, 2]</c>, optional hidden states and attentions.</returns>
    public override AlbertForPreTrainingOutput forward(AlbertInputs inputs) => Forward(inputs, null);

    internal override AlbertForPreTrainingOutput Forward(AlbertInputs inputs, IEncoderExecution? execution)
    {
        using var scope = NewDisposeScope();
        AlbertModelOutput body = albert.Forward(inputs, execution);
        Tensor predictionLogits = predictions.forward(body.LastHiddenState, WordEmbeddingWeight);
        Tensor sopLogits = sop_classifier.forward(body.PoolerOutput!);
        Tensor? loss = null;
        if (inputs.Labels is { } labels && inputs.SentenceOrderLabel is { } order)
        {
            Tensor mlm = Losses.CrossEntropy(predictionLogits.view(-1, Config.VocabSize), labels.view(-1));
            Tensor sop = SentenceOrderLoss(sopLogits, order);
            loss = mlm.add(sop);
        }

        var output = new AlbertForPreTrainingOutput(loss, predictionLogits, sopLogits, body.HiddenStates, body.Attentions);
        output.MoveToOuterDisposeScope();
        return output;
    }

    /// <summary>
    /// The training forward of pretraining: <see cref="forward"/> with the masked-LM head applied only at the labelled
    /// positions, as ALBERT's own pretraining code does (<c>gather_indexes</c> in <c>run_pretraining.py</c>): with 15 % of
    /// positions labelled, projecting every position onto the vocabulary would be most of a small model's work. The
    /// cross-entropy of the logits against the labels is <see cref="forward"/>'s masked-LM loss.
    /// </summary>
    /// <param name="inputs">Inputs with <see cref="AlbertInputs.Labels"/>.</param>
    /// <returns>Logits <c>[P, V]</c> and labels <c>[P]</c> of the P labelled positions, and SOP logits <c>[B, 2]</c> (in the caller's dispose scope).</returns>
    internal (Tensor MaskedLmLogits, Tensor MaskedLmLabels, Tensor SentenceOrderLogits) PredictAtLabels(AlbertInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs.Labels);
        using var scope = NewDisposeScope();
        AlbertModelOutput body = albert.forward(inputs);
        Tensor labels = inputs.Labels.view(-1);
        Tensor positions = labels.ne(Losses.IgnoreIndex).nonzero().view(-1); // [P]
        Tensor hidden = body.LastHiddenState.view(-1, Config.HiddenSize).index_select(0, positions); // [P, H]
        Tensor predictionLogits = predictions.forward(hidden, WordEmbeddingWeight); // [P, V]
        Tensor sopLogits = sop_classifier.forward(body.PoolerOutput!);
        return (predictionLogits.MoveToOuterDisposeScope(), labels.index_select(0, positions).MoveToOuterDisposeScope(), sopLogits.MoveToOuterDisposeScope());
    }

    /// <summary>The sentence-order loss of <see cref="forward"/>: cross-entropy of the SOP logits against the order labels.</summary>
    internal Tensor SentenceOrderLoss(Tensor sopLogits, Tensor order) =>
        Losses.CrossEntropy(sopLogits.view(-1, Config.NumLabels), order.view(-1));
}
