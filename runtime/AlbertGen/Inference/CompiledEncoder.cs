using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>Every distinct layer of an encoder compiled once (ALBERT's layer steps share their layers), run step by step.</summary>
internal sealed class CompiledEncoder : IEncoderExecution, IDisposable
{
    private readonly CompiledLayer[][] _groups;
    private readonly ScalarType _dtype;

    public CompiledEncoder(CompiledLayer[][] groups, ScalarType dtype)
    {
        _groups = groups;
        _dtype = dtype;
    }

    /// <summary>The compiled layers, by group.</summary>
    public IReadOnlyList<IReadOnlyList<CompiledLayer>> Groups => _groups;

    public Tensor Run(AlbertTransformer encoder, Tensor embeddings, Tensor? mask, List<Tensor>? hiddenStates)
    {
        using Tensor? productMask = mask?.to(_dtype);
        return encoder.RunSteps(embeddings, hiddenStates, null, (group, hidden) => RunGroup(_groups[group], hidden, productMask));
    }

    public void Dispose()
    {
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
