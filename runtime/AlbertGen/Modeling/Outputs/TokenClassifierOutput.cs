using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>Output of <see cref="AlbertForTokenClassification"/>.</summary>
public sealed class TokenClassifierOutput : AlbertOutput
{
    /// <summary>Creates an output; it takes ownership of the tensors.</summary>
    /// <param name="loss">The loss, or <see langword="null"/> without labels.</param>
    /// <param name="logits">Logits per token <c>[B, S, num_labels]</c>.</param>
    /// <param name="hiddenStates">Hidden states when requested.</param>
    /// <param name="attentions">Attention maps when requested.</param>
    public TokenClassifierOutput(Tensor? loss, Tensor logits, IReadOnlyList<Tensor>? hiddenStates, IReadOnlyList<Tensor>? attentions)
        : base(hiddenStates, attentions)
    {
        Loss = loss;
        Logits = logits;
    }

    /// <summary>Cross-entropy over tokens whose label is not -100 (and whose attention mask is 1 when a mask is given) (scalar); only with labels.</summary>
    public Tensor? Loss { get; }

    /// <summary>Logits per token <c>[B, S, num_labels]</c>.</summary>
    public Tensor Logits { get; }

    /// <inheritdoc />
    protected override IEnumerable<Tensor?> OwnTensors() => [Loss, Logits];
}
