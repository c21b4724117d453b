using AlbertGen.Inference.Managed;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>
/// Every distinct layer of an encoder compiled once (ALBERT's layer steps share their layers), run step by step; calls of up
/// to <see cref="FusedMaximumRows"/> rows run on the fused managed layers instead, when the session has them.
/// </summary>
internal sealed class CompiledEncoder : IEncoderExecution, IDisposable
{
    private readonly CompiledLayer[][] _groups;
    private readonly ScalarType _dtype;
    private readonly FusedEncoder? _fused;

    public CompiledEncoder(CompiledLayer[][] groups, ScalarType dtype, FusedEncoder? fused = null, int fusedMaximumRows = 0)
    {
        _groups = groups;
        _dtype = dtype;
        _fused = fused;
        FusedMaximumRows = fused is null ? 0 : fusedMaximumRows;
    }

    /// <summary>Calls of up to this many rows (batch × sequence) run fused; 0 when none does.</summary>
    public int FusedMaximumRows { get; }

    /// <summary>The fused layers, or null.</summary>
    public FusedEncoder? Fused => _fused;

    /// <summary>The compiled layers, by group (none when every call runs fused).</summary>
    public IReadOnlyList<IReadOnlyList<CompiledLayer>> Groups => _groups;

    /// <summary>The kernel of every product a call can run: the compiled layers', or the fused layers' when there are no compiled layers.</summary>
    public IReadOnlyList<ProductKernelChoice> Products()
    {
        if (_groups.Length == 0 && _fused is not null)
        {
            LayerProduct[] order = [LayerProduct.QueryKeyValue, LayerProduct.AttentionOutput, LayerProduct.FeedForward, LayerProduct.FeedForwardOutput];
            return [.. _fused.Groups.SelectMany((layers, g) => layers.SelectMany((layer, l) =>
                layer.Products.Select((p, i) => new ProductKernelChoice(g, l, order[i].Name(), p.Outputs, p.Inputs, p.Name))))];
        }

        return [.. _groups.SelectMany((layers, g) => layers.SelectMany((layer, l) =>
            layer.Products.Select(p => new ProductKernelChoice(g, l, p.Product.Name(), p.Outputs, p.Module.weight!.shape[1], p.Kernel))))];
    }

    public Tensor Run(AlbertTransformer encoder, Tensor embeddings, Tensor? mask, List<Tensor>? hiddenStates)
    {
        if (_fused is not null && embeddings.shape[0] * embeddings.shape[1] <= FusedMaximumRows)
        {
            return _fused.Run(encoder, embeddings, mask, hiddenStates);
        }

        using Tensor? productMask = mask?.to(_dtype);
        return encoder.RunSteps(embeddings, hiddenStates, null, (group, hidden) => RunGroup(_groups[group], hidden, productMask));
    }

    public AlbertModelOutput? TryRunFromIds(AlbertEmbeddings embeddings, AlbertTransformer encoder, Tensor? poolerWeight, Tensor? poolerBias, AlbertInputs inputs) =>
        _fused is not null && inputs.InputIds!.shape[0] * inputs.InputIds.shape[1] <= FusedMaximumRows
            ? _fused.RunFromIds(embeddings, encoder, poolerWeight, poolerBias, inputs)
            : null;

    public void Dispose()
    {
        _fused?.Dispose();
        foreach (CompiledLayer layer in _groups.SelectMany(g => g))
        {
            layer.Dispose();
        }
    }

    private static Tensor RunGroup(CompiledLayer[] layers, Tensor hidden, Tensor? mask)
    {
        Tensor current = hidden.alias();
        foreach (CompiledLayer layer in layers)
        {
            using Tensor previous = current;
            current = layer.Forward(previous, mask);
        }

        return current;
    }
}
