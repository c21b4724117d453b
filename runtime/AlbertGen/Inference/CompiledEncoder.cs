using AlbertGen.Inference.Managed;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>
/// Every distinct layer of an encoder compiled once (ALBERT's layer steps share their layers), run step by step; or, when
/// the session has them, the fused managed layers, which then run every call (and no layer is compiled).
/// </summary>
internal sealed class CompiledEncoder : IEncoderExecution, IDisposable
{
    private readonly CompiledLayer[][] _groups;
    private readonly ScalarType _dtype;
    private readonly FusedEncoder? _fused;

    public CompiledEncoder(CompiledLayer[][] groups, ScalarType dtype, FusedEncoder? fused = null)
    {
        _groups = groups;
        _dtype = dtype;
        _fused = fused;
    }

    /// <summary>The fused layers, or null.</summary>
    public FusedEncoder? Fused => _fused;

    /// <summary>The compiled layers, by group (none when every call runs fused).</summary>
    public IReadOnlyList<IReadOnlyList<CompiledLayer>> Groups => _groups;

    /// <summary>The kernel of every product a call can run: the compiled layers', or the fused layers' when there are no compiled layers.</summary>
    public IReadOnlyList<ProductKernelChoice> Products()
    {
        if (_groups.Length == 0 && _fused is not null)
        {
            return [.. _fused.Groups.SelectMany((layers, g) => layers.SelectMany((layer, l) =>
                layer.Products.Select(p => new ProductKernelChoice(g, l, p.Product.Name(), p.Kernel.Outputs, p.Kernel.Inputs, p.Kernel.Name))))];
        }

        return [.. _groups.SelectMany((layers, g) => layers.SelectMany((layer, l) =>
            layer.Products.Select(p => new ProductKernelChoice(g, l, p.Product.Name(), p.Outputs, p.Module.weight!.shape[1], p.Kernel))))];
    }

    public Tensor Run(AlbertTransformer encoder, Tensor embeddings, Tensor? mask, List<Tensor>? hiddenStates)
    {
        if (_fused is not null)
        {
            return _fused.Run(encoder, embeddings, mask, hiddenStates);
        }

        using Tensor? productMask = mask?.to(_dtype);
        return encoder.RunSteps(embeddings, hiddenStates, null, (group, hidden) => RunGroup(_groups[group], hidden, productMask));
    }

    public AlbertModelOutput? TryRunFromIds(AlbertEmbeddings embeddings, AlbertTransformer encoder, Tensor? poolerWeight, Tensor? poolerBias, AlbertInputs inputs) =>
        _fused?.RunFromIds(embeddings, encoder, poolerWeight, poolerBias, inputs);

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
