using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Common part of every model output: the optional hidden states and attention maps. An output owns its tensors:
/// <see cref="Dispose"/> releases them all (tensors shared between properties are released once).
/// </summary>
public abstract class AlbertOutput : IDisposable
{
    private bool _disposed;

    /// <summary>Initialises the shared part.</summary>
    /// <param name="hiddenStates">Hidden states, or <see langword="null"/> when not requested.</param>
    /// <param name="attentions">Attention maps, or <see langword="null"/> when not requested.</param>
    protected AlbertOutput(IReadOnlyList<Tensor>? hiddenStates, IReadOnlyList<Tensor>? attentions)
    {
        HiddenStates = hiddenStates;
        Attentions = attentions;
    }

    /// <summary>
    /// When requested: <c>num_hidden_layers + 1</c> tensors <c>[B, S, H]</c>; the first is the embedding output after
    /// <c>embedding_hidden_mapping_in</c>, then the output of each layer step.
    /// </summary>
    public IReadOnlyList<Tensor>? HiddenStates { get; }

    /// <summary>
    /// When requested: <c>num_hidden_layers · inner_group_num</c> attention probability tensors <c>[B, heads, S, S]</c>,
    /// one per inner layer per layer step.
    /// </summary>
    public IReadOnlyList<Tensor>? Attentions { get; }

    /// <summary>The tensors of the output-specific properties (losses and logits); null entries are skipped.</summary>
    protected abstract IEnumerable<Tensor?> OwnTensors();

    /// <summary>Every tensor this output owns, each once.</summary>
    internal IEnumerable<Tensor> AllTensors()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        IEnumerable<Tensor?> all = OwnTensors()
            .Concat(HiddenStates ?? Array.Empty<Tensor>())
            .Concat(Attentions ?? Array.Empty<Tensor>());
        foreach (Tensor? t in all)
        {
            if (t is not null && seen.Add(t))
            {
                yield return t;
            }
        }
    }

    /// <summary>Moves every tensor of this output out of the current dispose scope (used by the models' forward).</summary>
    internal void MoveToOuterDisposeScope()
    {
        foreach (Tensor t in AllTensors())
        {
            t.MoveToOuterDisposeScope();
        }
    }

    /// <summary>Releases every tensor of this output.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (Tensor t in AllTensors())
        {
            t.Dispose();
        }

        GC.SuppressFinalize(this);
    }
}
