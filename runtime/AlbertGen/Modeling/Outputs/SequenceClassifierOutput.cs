using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>Output of <see cref="AlbertForSequenceClassification"/>.</summary>
public sealed class SequenceClassifierOutput : AlbertOutput
{
    /// <summary>Creates an output; it takes ownership of the tensors.</summary>
    /// <param name="loss">The loss, or <see langword="null"/> without labels.</param>
    /// <param name="logits">Logits <c>[B, num_labels]</c>.</param>
    /// <param name="hiddenStates">Hidden states when requested.</param>
    /// <param name="attentions">Attention maps when requested.</param>
    public SequenceClassifierOutput(Tensor? loss, Tensor logits, IReadOnlyList<Tensor>? hiddenStates, IReadOnlyList<Tensor>? attentions)
        : base(hiddenStates, attentions)
    {
        Loss = loss;
        Logits = logits;
    }

    /// <summary>Regression (MSE), single-label (cross-entropy) or multi-label (BCE with logits) loss (scalar); only with labels.</summary>
    public Tensor? Loss { get; }

    /// <summary>Logits <c>[B, num_labels]</c>.</summary>
    public Tensor Logits { get; }

    /// <inheritdoc />
    protected override IEnumerable<Tensor?> OwnTensors() => [Loss, Logits];
}
