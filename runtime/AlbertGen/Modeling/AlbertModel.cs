using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// The bare ALBERT encoder (HuggingFace <c>AlbertModel</c>): embeddings, the shared-layer transformer and the tanh pooler.
/// Parameter names have no <c>albert.</c> prefix; loading from a head checkpoint strips it.
/// </summary>
public class AlbertModel : AlbertPreTrainedModel<AlbertModelOutput>
{
    private readonly AlbertEmbeddings embeddings;
    private readonly AlbertTransformer encoder;
    private readonly AlbertLinear? pooler;

    /// <summary>Creates a randomly initialised model with a pooler.</summary>
    /// <param name="config">The configuration.</param>
    public AlbertModel(AlbertConfig config) : this(config, addPoolingLayer: true)
    {
    }

    /// <summary>Creates a randomly initialised model.</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="addPoolingLayer">Whether to create the pooler (HuggingFace's token classification and QA heads do not).</param>
    public AlbertModel(AlbertConfig config, bool addPoolingLayer) : this(config, addPoolingLayer, random: true, initialize: true)
    {
    }

    /// <param name="config">The configuration.</param>
    /// <param name="addPoolingLayer">Whether to create the pooler.</param>
    /// <param name="random">False when the weights are about to be loaded: the layers are left uninitialised.</param>
    /// <param name="initialize">Whether to apply HuggingFace's initialisation here (a head applies it to the whole model instead).</param>
    internal AlbertModel(AlbertConfig config, bool addPoolingLayer, bool random, bool initialize) : base(AlbertHeadRegistry.Of(AlbertHeads.None).HuggingFaceName, config)
    {
        embeddings = new AlbertEmbeddings(config);
        encoder = new AlbertTransformer(config, random);
        register_module("embeddings", embeddings);
        register_module("encoder", encoder);
        if (addPoolingLayer)
        {
            pooler = new AlbertLinear(config.HiddenSize, config.HiddenSize, random);
            register_module("pooler", pooler);
        }

        if (random && initialize)
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
    public static AlbertModel FromPretrained(string directory, Checkpoints.LoadOptions? options = null) =>
        FromPretrained(directory, config => new AlbertModel(config, addPoolingLayer: true, random: false, initialize: false), options);

    /// <inheritdoc />
    public override string HuggingFaceClassName => AlbertHeadRegistry.Of(AlbertHeads.None).HuggingFaceName;

    /// <summary>Whether the model has a pooler (and returns <see cref="AlbertModelOutput.PoolerOutput"/>).</summary>
    public bool HasPooler => pooler is not null;

    internal override string BodyPrefix => "";

    internal override Parameter WordEmbeddingWeight => embeddings.WordEmbeddingWeight;

    internal override AlbertTransformer Encoder => encoder;

    internal override AlbertModel Body => this;

    /// <summary>Runs the encoder.</summary>
    /// <param name="inputs">Ids or embeddings <c>[B, S]</c>, optional mask, token types, positions and head mask.</param>
    /// <returns>Last hidden state, pooled output and, when asked, all hidden states and attentions.</returns>
    /// <exception cref="AlbertInputException">An input is missing, mis-shaped or out of range.</exception>
    public override AlbertModelOutput forward(AlbertInputs inputs) => Forward(inputs, null);

    internal override AlbertModelOutput Forward(AlbertInputs inputs, IEncoderExecution? execution)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        (long batch, long seq) = AlbertInputValidator.Validate(Config, inputs);
        using var scope = NewDisposeScope();
        if (execution is not null && !training && inputs.InputIds is not null && inputs.HeadMask is null && !inputs.OutputAttentions
            && execution.TryRunFromIds(embeddings, encoder, pooler?.weight, pooler?.bias, inputs) is { } whole)
        {
            whole.MoveToOuterDisposeScope();
            return whole;
        }

        Device device = Device;
        ScalarType dtype = DType;

        Tensor? mask = null;
        if (inputs.AttentionMask is { } attentionMask)
        {
            // (1 - mask) · -10000 added to the scores, broadcast over heads and query positions: [B, 1, 1, S].
            mask = attentionMask.to(dtype, device).view(batch, 1, 1, seq).neg().add_(1.0).mul_(-10000.0);
        }

        Tensor? headMask = null;
        if (inputs.HeadMask is { } hm)
        {
            // [heads] or [L, heads] → [L, 1, heads, 1, 1]: row i broadcasts over batch and both sequence axes.
            Tensor rows = hm.Dimensions == 1 ? hm.unsqueeze(0).expand(Config.NumHiddenLayers, -1) : hm;
            headMask = rows.to(dtype, device).view(Config.NumHiddenLayers, 1, Config.NumAttentionHeads, 1, 1);
        }

        Tensor embedded = embeddings.forward(
            inputs.InputIds?.to(ScalarType.Int64, device),
            inputs.TokenTypeIds?.to(ScalarType.Int64, device),
            inputs.PositionIds?.to(ScalarType.Int64, device),
            inputs.InputsEmbeds?.to(dtype, device));

        List<Tensor>? hiddenStates = inputs.OutputHiddenStates ? new List<Tensor>() : null;
        List<Tensor>? attentions = inputs.OutputAttentions ? new List<Tensor>() : null;
        Tensor last = execution is not null && headMask is null && attentions is null
            ? execution.Run(encoder, embedded, mask, hiddenStates)
            : encoder.forward(embedded, mask, headMask, hiddenStates, attentions);
        Tensor? pooled = null;
        if (pooler is not null)
        {
            pooled = pooler.forward(last.select(1, 0)).tanh_(); // [B, H]
        }

        var output = new AlbertModelOutput(last, pooled, hiddenStates, attentions);
        output.MoveToOuterDisposeScope();
        return output;
    }
}
