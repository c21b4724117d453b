using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>Output of <see cref="AlbertForPreTraining"/>.</summary>
public sealed class AlbertForPreTrainingOutput : AlbertOutput
{
    /// <summary>Creates an output; it takes ownership of the tensors.</summary>
    /// <param name="loss">MLM + SOP loss, or <see langword="null"/>.</param>
    /// <param name="predictionLogits">MLM logits <c>[B, S, V]</c>.</param>
    /// <param name="sopLogits">Sentence-order logits <c>[B, 2]</c>.</param>
    /// <param name="hiddenStates">Hidden states when requested.</param>
    /// <param name="attentions">Attention maps when requested.</param>
    public AlbertForPreTrainingOutput(Tensor? loss, Tensor predictionLogits, Tensor sopLogits, IReadOnlyList<Tensor>? hiddenStates, IReadOnlyList<Tensor>? attentions)
        : base(hiddenStates, attentions)
    {
        Loss = loss;
        PredictionLogits = predictionLogits;
        SopLogits = sopLogits;
    }

    /// <summary>Masked-LM cross-entropy plus sentence-order cross-entropy (scalar); only when both labels are given.</summary>
    public Tensor? Loss { get; }

    /// <summary>Masked-LM logits over the vocabulary <c>[B, S, V]</c>.</summary>
    public Tensor PredictionLogits { get; }

    /// <summary>Sentence-order prediction logits <c>[B, 2]</c>.</summary>
    public Tensor SopLogits { get; }

    /// <inheritdoc />
    protected override IEnumerable<Tensor?> OwnTensors() => [Loss, PredictionLogits, SopLogits];
}
