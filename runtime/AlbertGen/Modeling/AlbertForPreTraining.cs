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
    public AlbertForPreTraining(AlbertConfig config) : base("AlbertForPreTraining", config)
    {
        albert = new AlbertModel(config, addPoolingLayer: true, initialize: false);
        predictions = new AlbertMLMHead(config);
        sop_classifier = new AlbertSOPHead(config);
        register_module("albert", albert);
        register_module("predictions", predictions);
        register_module("sop_classifier", sop_classifier);
        InitializeWeights();
    }

    /// <summary>Loads a model from a HuggingFace directory (<c>config.json</c> + weights), in eval mode.</summary>
    /// <param name="directory">Directory with <c>config.json</c> and <c>model.safetensors</c> (or a sharded index).</param>
    /// <param name="options">Loading options (strictness, fine-tuning preparation, device, dtype).</param>
    /// <returns>The loaded model.</returns>
    /// <exception cref="AlbertConfigException">The config is invalid.</exception>
    /// <exception cref="Checkpoints.CheckpointException">The weights do not fit the model.</exception>
    public static AlbertForPreTraining FromPretrained(string directory, Checkpoints.LoadOptions? options = null) =>
        FromPretrained(directory, config => new AlbertForPreTraining(config), options);

    /// <inheritdoc />
    public override string HuggingFaceClassName => "AlbertForPreTraining";

    internal override string BodyPrefix => "albert.";

    internal override Parameter WordEmbeddingWeight => albert.WordEmbeddingWeight;

    /// <summary>Computes MLM and SOP logits, and the summed loss when <see cref="AlbertInputs.Labels"/> <c>[B, S]</c> and
    /// <see cref="AlbertInputs.SentenceOrderLabel"/> <c>[B]</c> are both given.</summary>
    /// <param name="inputs">The inputs.</param>
    /// <returns>Loss, prediction logits <c>[B, S, V]</c>, SOP logits <c>[B, 2]</c>, optional hidden states and attentions.</returns>
    public override AlbertForPreTrainingOutput forward(AlbertInputs inputs)
    {
        using var scope = NewDisposeScope();
        AlbertModelOutput body = albert.forward(inputs);
        Tensor predictionLogits = predictions.forward(body.LastHiddenState, WordEmbeddingWeight);
        Tensor sopLogits = sop_classifier.forward(body.PoolerOutput!);
        Tensor? loss = null;
        if (inputs.Labels is { } labels && inputs.SentenceOrderLabel is { } order)
        {
            Tensor mlm = Losses.CrossEntropy(predictionLogits.view(-1, Config.VocabSize), labels.view(-1));
            Tensor sop = Losses.CrossEntropy(sopLogits.view(-1, Config.NumLabels), order.view(-1));
            loss = mlm.add(sop);
        }

        var output = new AlbertForPreTrainingOutput(loss, predictionLogits, sopLogits, body.HiddenStates, body.Attentions);
        output.MoveToOuterDisposeScope();
        return output;
    }
}
