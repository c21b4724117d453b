using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// The encoder (HuggingFace <c>AlbertTransformer</c>): the E→H projection <c>embedding_hidden_mapping_in</c>, then
/// <c>num_hidden_layers</c> layer steps; step i runs group <c>floor(i / (L / groups))</c>.
/// </summary>
internal sealed class AlbertTransformer : nn.Module<Tensor, Tensor?, Tensor?, List<Tensor>?, List<Tensor>?, Tensor>
{
    private readonly Linear embedding_hidden_mapping_in;
    private readonly ModuleList<AlbertLayerGroup> albert_layer_groups;
    private readonly int _layers;
    private readonly int _groups;
    private readonly int _innerLayers;
    private readonly bool _packWeights;
    private readonly VersionedCache<(ScalarType DType, bool Pack), PreparedLayers> _prepared = new();

    public AlbertTransformer(AlbertConfig config) : base("AlbertTransformer")
    {
        embedding_hidden_mapping_in = ModuleFactory.Linear(config.EmbeddingSize, config.HiddenSize);
        albert_layer_groups = new ModuleList<AlbertLayerGroup>();
        for (int g = 0; g < config.NumHiddenGroups; g++)
        {
            albert_layer_groups.Add(new AlbertLayerGroup(config));
        }

        _layers = config.NumHiddenLayers;
        _groups = config.NumHiddenGroups;
        _innerLayers = config.InnerGroupNum;
        _packWeights = config.HiddenSize >= PackingMinimumHiddenSize;
        RegisterComponents();
    }

    /// <summary>
    /// When set (and different from the parameters' dtype), inference runs the layers' matrix products in this dtype
    /// (see <see cref="AlbertPreTrainedModel{TOutput}.MatMulDType"/>).
    /// </summary>
    internal ScalarType? MatMulDType { get; set; }

    /// <summary>
    /// When set, training passes run the layers' matrix products in this dtype with float32 master weights
    /// (<see cref="MixedPrecision"/>; see <see cref="AlbertPreTrainedModel{TOutput}.TrainingMatMulDType"/>).
    /// </summary>
    internal ScalarType? TrainingMatMulDType
    {
        get;
        set
        {
            field = value;
            foreach (AlbertLayer layer in albert_layer_groups.SelectMany(g => g.modules().OfType<AlbertLayer>()))
            {
                layer.TrainingMatMulDType = value;
            }
        }
    }

    /// <summary>How many times inference passes have prepared the layers' weights (they keep them while the parameters are unchanged).</summary>
    internal int Preparations { get; private set; }

    /// <summary>
    /// Smallest hidden size whose passes pack the layers' weights for oneDNN (<see cref="OneDnnLinear"/>). Measured:
    /// albert-base (768) 1.6–2× faster per pass from 1×16 tokens up; the 128-wide default model 24 % slower and the
    /// 32-wide fixtures 65 % slower (packing and oneDNN's per-call overhead outweigh products that small).
    /// </summary>
    internal const int PackingMinimumHiddenSize = 512;

    /// <summary>Group used by layer step <paramref name="step"/>: HuggingFace's <c>int(i / (L / groups))</c>.</summary>
    internal static int GroupOfStep(int step, int layers, int groups) => (int)(step / ((double)layers / groups));

    /// <summary>Runs the encoder.</summary>
    /// <param name="embeddings">Embeddings <c>[B, S, E]</c>.</param>
    /// <param name="mask">Additive attention mask <c>[B, 1, 1, S]</c> or null.</param>
    /// <param name="headMask">Head mask <c>[L, 1, heads, 1, 1]</c> or null.</param>
    /// <param name="hiddenStates">Receives the hidden states, or null when not wanted.</param>
    /// <param name="attentions">Receives the attention probabilities, or null when not wanted.</param>
    /// <returns>The last hidden state <c>[B, S, H]</c>.</returns>
    public override Tensor forward(Tensor embeddings, Tensor? mask, Tensor? headMask, List<Tensor>? hiddenStates, List<Tensor>? attentions)
    {
        if (headMask is null && attentions is null && !training && !is_grad_enabled() && PreparedDType(embeddings) is { } dtype)
        {
            return PreparedForward(embeddings, mask, hiddenStates, dtype);
        }

        int layersPerGroup = _layers / _groups;
        var headMasks = new Tensor?[_innerLayers];
        return RunSteps(embeddings, hiddenStates, attentions, (group, hidden) =>
        {
            for (int j = 0; j < _innerLayers; j++)
            {
                // HuggingFace hands group g the rows g·(L/groups) … of the head mask and inner layer j takes row j of those.
                headMasks[j] = headMask?[group * layersPerGroup + j];
            }

            return albert_layer_groups[group].forward(hidden, mask, headMasks, attentions);
        });
    }

    /// <summary>
    /// The input mapping, then every layer step through <paramref name="step"/> (which gets the step's group and hidden
    /// states), keeping the hidden states when asked and freeing each step's input otherwise.
    /// </summary>
    private Tensor RunSteps(Tensor embeddings, List<Tensor>? hiddenStates, List<Tensor>? attentions, Func<int, Tensor, Tensor> step)
    {
        using var scope = NewDisposeScope();
        int firstHidden = hiddenStates?.Count ?? 0, firstAttention = attentions?.Count ?? 0;
        Tensor hidden = embedding_hidden_mapping_in.forward(embeddings);
        hiddenStates?.Add(hidden);
        for (int i = 0; i < _layers; i++)
        {
            Tensor previous = hidden;
            hidden = step(GroupOfStep(i, _layers, _groups), hidden);
            if (hiddenStates is null)
            {
                previous.Dispose(); // not returned: free it now rather than at the end of the scope (autograd keeps what it needs)
            }
            else
            {
                hiddenStates.Add(hidden);
            }
        }

        ScopeHelpers.MoveToOuter(attentions, firstAttention);
        if (hiddenStates is null)
        {
            return hidden.MoveToOuterDisposeScope();
        }

        ScopeHelpers.MoveToOuter(hiddenStates, firstHidden); // the last one is `hidden`
        return hidden;
    }

    /// <summary>
    /// The dtype of the products of a prepared inference pass: <see cref="MatMulDType"/> when it differs from the model's,
    /// otherwise the model's; null when a layer cannot run prepared (Q/K/V not fused, or no FFN biases), and the general
    /// path runs.
    /// </summary>
    private ScalarType? PreparedDType(Tensor embeddings)
    {
        if (!albert_layer_groups.All(g => g.SupportsPreparedForward))
        {
            return null;
        }

        if (MatMulDType is { } low && low != embeddings.dtype)
        {
            return low;
        }

        return embeddings.dtype;
    }

    /// <summary>
    /// Inference with each distinct layer's products prepared once (<see cref="PreparedLayerWeights"/>) and kept while the
    /// layers' parameters are unchanged (<see cref="VersionedCache{TKey, TValue}"/>); the residual stream, LayerNorms and the
    /// input mapping stay in the model's dtype.
    /// </summary>
    private Tensor PreparedForward(Tensor embeddings, Tensor? mask, List<Tensor>? hiddenStates, ScalarType dtype)
    {
        Tensor[] sources = albert_layer_groups.parameters().ToArray<Tensor>();
        using var lease = _prepared.Acquire((dtype, _packWeights), sources,
            () =>
            {
                Preparations++; // under the cache's lock
                return new PreparedLayers(albert_layer_groups.Select(g => g.PrepareWeights(dtype, _packWeights)).ToArray());
            });
        PreparedLayerWeights[][] weights = lease.Value.Groups;
        using Tensor? productMask = mask?.to(dtype);
        return RunSteps(embeddings, hiddenStates, null, (group, hidden) => albert_layer_groups[group].PreparedForward(hidden, productMask, weights[group]));
    }

    /// <summary>
    /// Sets training mode; entering it gives up the kept inference preparation, which training's updates make stale at every
    /// step and which would otherwise hold a second copy of the layers (800 MB for albert-xxlarge) until the next evaluation.
    /// </summary>
    public override void train(bool on = true)
    {
        base.train(on);
        if (on)
        {
            _prepared.Clear();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _prepared.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The prepared weights of every group's layers, released together.</summary>
    private sealed record PreparedLayers(PreparedLayerWeights[][] Groups) : IDisposable
    {
        public void Dispose()
        {
            foreach (PreparedLayerWeights layer in Groups.SelectMany(group => group))
            {
                layer.Dispose();
            }
        }
    }
}
