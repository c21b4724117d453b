using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>Output of <see cref="AlbertForQuestionAnswering"/>.</summary>
public sealed class QuestionAnsweringOutput : AlbertOutput
{
    /// <summary>Creates an output; it takes ownership of the tensors.</summary>
    /// <param name="loss">The loss, or <see langword="null"/>.</param>
    /// <param name="startLogits">Start logits <c>[B, S]</c>.</param>
    /// <param name="endLogits">End logits <c>[B, S]</c>.</param>
    /// <param name="hiddenStates">Hidden states when requested.</param>
    /// <param name="attentions">Attention maps when requested.</param>
    public QuestionAnsweringOutput(Tensor? loss, Tensor startLogits, Tensor endLogits, IReadOnlyList<Tensor>? hiddenStates, IReadOnlyList<Tensor>? attentions)
        : base(hiddenStates, attentions)
    {
        Loss = loss;
        StartLogits = startLogits;
        EndLogits = endLogits;
    }

    /// <summary>Mean of the start and end cross-entropies (scalar); only when both positions are given.</summary>
    public Tensor? Loss { get; }

    /// <summary>Answer-start logits per token <c>[B, S]</c>.</summary>
    public Tensor StartLogits { get; }

    /// <summary>Answer-end logits per token <c>[B, S]</c>.</summary>
    public Tensor EndLogits { get; }

    /// <inheritdoc />
    protected override IEnumerable<Tensor?> OwnTensors() => [Loss, StartLogits, EndLogits];
}
