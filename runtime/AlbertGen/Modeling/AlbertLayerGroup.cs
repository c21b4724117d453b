using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary><c>inner_group_num</c> layers run one after the other; a group's parameters are shared by all layer steps that use it.</summary>
internal sealed class AlbertLayerGroup : nn.Module<Tensor, Tensor?, IReadOnlyList<Tensor?>, List<Tensor>?, Tensor>
{
    private readonly ModuleList<AlbertLayer> albert_layers;

    public AlbertLayerGroup(AlbertConfig config, bool random) : base("AlbertLayerGroup")
    {
        albert_layers = new ModuleList<AlbertLayer>();
        for (int j = 0; j < config.InnerGroupNum; j++)
        {
            albert_layers.Add(new AlbertLayer(config, random));
        }

        RegisterComponents();
    }

    /// <summary>Runs every inner layer.</summary>
    /// <param name="hidden">Hidden states <c>[B, S, H]</c>.</param>
    /// <param name="mask">Additive attention mask or null.</param>
    /// <param name="headMasks">One head mask (or null) per inner layer.</param>
    /// <param name="attentions">Receives the attention probabilities of each inner layer, or null when not wanted.</param>
    /// <returns>The hidden states after the last inner layer.</returns>
    public override Tensor forward(Tensor hidden, Tensor? mask, IReadOnlyList<Tensor?> headMasks, List<Tensor>? attentions)
    {
        if (albert_layers.Count == 0)
        {
            return hidden.alias();
        }

        using var scope = NewDisposeScope();
        int firstAttention = attentions?.Count ?? 0;
        Tensor current = hidden;
        for (int j = 0; j < albert_layers.Count; j++)
        {
            Tensor previous = current;
            (current, Tensor? probs) = albert_layers[j].forward(current, mask, headMasks[j], attentions is not null);
            if (j > 0)
            {
                previous.Dispose(); // an intermediate of this group, not the caller's input
            }

            if (probs is not null)
            {
                attentions!.Add(probs);
            }
        }

        ScopeHelpers.MoveToOuter(attentions, firstAttention);
        return current.MoveToOuterDisposeScope();
    }

    /// <summary>The group's inner layers, in order.</summary>
    internal IReadOnlyList<AlbertLayer> Layers => [.. albert_layers];
}
