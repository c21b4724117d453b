using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>Output of <see cref="AlbertForMaskedLM"/>.</summary>
public sealed class MaskedLMOutput : AlbertOutput
{
    /// <summary>Creates an output; it takes ownership of the tensors.</summary>
    /// <param name="loss">The loss, or <see langword="null"/> without labels.</param>
    /// <param name="logits">Logits over the vocabulary <c>[B, S, V]</c>.</param>
    /// <param name="hiddenStates">Hidden states when requested.</param>
    /// <param name="attentions">Attention maps when requested.</param>
    public MaskedLMOutput(Tensor? loss, Tensor logits, IReadOnlyList<Tensor>? hiddenStates, IReadOnlyList<Tensor>? attentions)
        : base(hiddenStates, attentions)
    {
        Loss = loss;
        Logits = logits;
    }

    /// <summary>Masked-LM cross-entropy over labels other than -100 (scalar); only with labels.</summary>
    public Tensor? Loss { get; }

    /// <summary>Logits over the vocabulary <c>[B, S, V]</c>.</summary>
    public Tensor Logits { get; }

    /// <inheritdoc />
    protected override IEnumerable<Tensor?> OwnTensors() => [Loss, Logits];
}
