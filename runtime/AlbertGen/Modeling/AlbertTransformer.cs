using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// The encoder (HuggingFace <c>AlbertTransformer</c>): the E→H projection <c>embedding_hidden_mapping_in</c>, then
/// <c>num_hidden_layers</c> layer steps; step i runs group <c>floor(i / (L / groups))</c>.
/// </summary>
internal sealed class AlbertTransformer : nn.Module<Tensor, Tensor?, Tensor?, List<Tensor>?, List<Tensor>?, Tensor>
{
    private readonly AlbertLinear embedding_hidden_mapping_in;
    private readonly ModuleList<AlbertLayerGroup> albert_layer_groups;
    private readonly int _layers;
    private readonly int _groups;
    private readonly int _innerLayers;

    public AlbertTransformer(AlbertConfig config, bool random) : base("AlbertTransformer")
    {
        embedding_hidden_mapping_in = new AlbertLinear(config.EmbeddingSize, config.HiddenSize, random);
        albert_layer_groups = new ModuleList<AlbertLayerGroup>();
        for (int g = 0; g < config.NumHiddenGroups; g++)
        {
            albert_layer_groups.Add(new AlbertLayerGroup(config, random));
        }

        _layers = config.NumHiddenLayers;
        _groups = config.NumHiddenGroups;
        _innerLayers = config.InnerGroupNum;
        RegisterComponents();
    }

    /// <summary>The layer groups; layer step i runs group <see cref="GroupOfStep"/>.</summary>
    internal IReadOnlyList<AlbertLayerGroup> Groups => [.. albert_layer_groups];

    /// <summary>The E→H projection <c>embedding_hidden_mapping_in</c>.</summary>
    internal AlbertLinear EmbeddingMapping => embedding_hidden_mapping_in;

    /// <summary>Number of layer steps (<c>num_hidden_layers</c>).</summary>
    internal int LayerSteps => _layers;

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
    /// states), keeping the hidden states when asked and freeing each step's input otherwise. <see cref="forward"/> steps
    /// through the layer groups' own forward; an inference session steps through its compiled layers.
    /// </summary>
    internal Tensor RunSteps(Tensor embeddings, List<Tensor>? hiddenStates, List<Tensor>? attentions, Func<int, Tensor, Tensor> step)
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
}
