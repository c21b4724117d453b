using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>Output of <see cref="AlbertModel"/> (HuggingFace <c>BaseModelOutputWithPooling</c>).</summary>
public sealed class AlbertModelOutput : AlbertOutput
{
    /// <summary>Creates an output; it takes ownership of the tensors.</summary>
    /// <param name="lastHiddenState">Final hidden states <c>[B, S, H]</c>.</param>
    /// <param name="poolerOutput">Pooled <c>[CLS]</c> state <c>[B, H]</c>, or <see langword="null"/> without a pooler.</param>
    /// <param name="hiddenStates">Hidden states when requested.</param>
    /// <param name="attentions">Attention maps when requested.</param>
    public AlbertModelOutput(Tensor lastHiddenState, Tensor? poolerOutput, IReadOnlyList<Tensor>? hiddenStates, IReadOnlyList<Tensor>? attentions)
        : base(hiddenStates, attentions)
    {
        LastHiddenState = lastHiddenState;
        PoolerOutput = poolerOutput;
    }

    /// <summary>Hidden states of the last layer step <c>[B, S, H]</c>.</summary>
    public Tensor LastHiddenState { get; }

    /// <summary>tanh(pooler(first token state)) <c>[B, H]</c>; <see langword="null"/> when the model has no pooler.</summary>
    public Tensor? PoolerOutput { get; }

    /// <inheritdoc />
    protected override IEnumerable<Tensor?> OwnTensors() => [LastHiddenState, PoolerOutput];
}
