using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// The inputs of every ALBERT model and head, named after HuggingFace's <c>forward</c> arguments. Tensors are
/// borrowed, never disposed by the model. B = batch, S = sequence length, C = choices (multiple choice only).
/// </summary>
/// <remarks>
/// Ids, token types, positions and integer labels are <c>int64</c>. Masks may be any numeric or boolean type;
/// they are converted to the model's dtype. For <see cref="AlbertForMultipleChoice"/> every per-token tensor has an
/// extra choice dimension: <c>[B, C, S]</c>.
/// </remarks>
public sealed class AlbertInputs
{
    /// <summary>Token ids <c>[B, S]</c>. Exactly one of this and <see cref="InputsEmbeds"/> must be given.</summary>
    public Tensor? InputIds { get; init; }

    /// <summary>1 for tokens to attend to, 0 for padding <c>[B, S]</c>; all ones when absent.</summary>
    public Tensor? AttentionMask { get; init; }

    /// <summary>Segment ids <c>[B, S]</c> below <c>type_vocab_size</c>; zeros when absent.</summary>
    public Tensor? TokenTypeIds { get; init; }

    /// <summary>Position ids <c>[B, S]</c> or <c>[S]</c>; <c>0..S-1</c> when absent.</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary>
    /// Multiplies attention probabilities per head: <c>[heads]</c> (every layer) or <c>[num_hidden_layers, heads]</c>.
    /// With shared groups, layer step i of group g uses row <c>g·(L/groups) + j</c> for inner layer j, as HuggingFace does.
    /// </summary>
    public Tensor? HeadMask { get; init; }

    /// <summary>Token embeddings <c>[B, S, embedding_size]</c> used instead of looking up <see cref="InputIds"/>.</summary>
    public Tensor? InputsEmbeds { get; init; }

    /// <summary>
    /// Labels of the head: masked-LM labels <c>[B, S]</c> (-100 = ignored), sequence labels <c>[B]</c> (int64) or
    /// <c>[B, num_labels]</c> (float, multi-label) or <c>[B]</c> float (regression), token labels <c>[B, S]</c>,
    /// choice labels <c>[B]</c>.
    /// </summary>
    public Tensor? Labels { get; init; }

    /// <summary>Sentence-order labels <c>[B]</c> of <see cref="AlbertForPreTraining"/> (0 = in order, 1 = swapped).</summary>
    public Tensor? SentenceOrderLabel { get; init; }

    /// <summary>Answer start positions <c>[B]</c> of <see cref="AlbertForQuestionAnswering"/>; clamped to [0, S], S is ignored.</summary>
    public Tensor? StartPositions { get; init; }

    /// <summary>Answer end positions <c>[B]</c> of <see cref="AlbertForQuestionAnswering"/>; clamped to [0, S], S is ignored.</summary>
    public Tensor? EndPositions { get; init; }

    /// <summary>Whether to return the hidden states: the embeddings after the E→H projection, then one per layer step.</summary>
    public bool OutputHiddenStates { get; init; }

    /// <summary>Whether to return the attention probabilities <c>[B, heads, S, S]</c>: one per inner layer per layer step.</summary>
    public bool OutputAttentions { get; init; }
}
