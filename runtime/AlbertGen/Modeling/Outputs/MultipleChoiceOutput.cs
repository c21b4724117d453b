using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>Output of <see cref="AlbertForMultipleChoice"/>.</summary>
public sealed class MultipleChoiceOutput : AlbertOutput
{
    /// <summary>Creates an output; it takes ownership of the tensors.</summary>
    /// <param name="loss">The loss, or <see langword="null"/> without labels.</param>
    /// <param name="logits">A score per choice <c>[B, C]</c>.</param>
    /// <param name="hiddenStates">Hidden states when requested.</param>
    /// <param name="attentions">Attention maps when requested.</param>
    public MultipleChoiceOutput(Tensor? loss, Tensor logits, IReadOnlyList<Tensor>? hiddenStates, IReadOnlyList<Tensor>? attentions)
        : base(hiddenStates, attentions)
    {
        Loss = loss;
        Logits = logits;
    }

    /// <summary>Cross-entropy over the choices (scalar); only with labels.</summary>
    public Tensor? Loss { get; }

    /// <summary>A score per choice <c>[B, C]</c>.</summary>
    public Tensor Logits { get; }

    /// <inheritdoc />
    protected override IEnumerable<Tensor?> OwnTensors() => [Loss, Logits];
}
