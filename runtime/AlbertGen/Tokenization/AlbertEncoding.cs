using TorchSharp;

namespace AlbertGen.Tokenization;

/// <summary>
/// One encoded sequence (or pair) ready for the model: all lists have <see cref="Length"/> entries, one per
/// position. Padding positions have the pad id, attention 0, token type 0, special-token mask 1, offset (0, 0)
/// and sequence id -1.
/// </summary>
public sealed class AlbertEncoding
{
    private static readonly AlbertEncoding[] NoOverflow = [];

    internal AlbertEncoding(
        string[] tokens, int[] inputIds, int[] tokenTypeIds, int[] specialTokensMask, int[] attentionMask,
        (int Start, int End)[] offsets, int[] sequenceIds)
    {
        TokensArray = tokens;
        Ids = inputIds;
        TypeIds = tokenTypeIds;
        SpecialMask = specialTokensMask;
        Attention = attentionMask;
        OffsetArray = offsets;
        SequenceIdArray = sequenceIds;
    }

    /// <summary>Number of positions.</summary>
    public int Length => Ids.Length;

    /// <summary>The token strings (SentencePiece pieces; unknown characters as their own text).</summary>
    public IReadOnlyList<string> Tokens => TokensArray;

    /// <summary>Vocabulary ids (<c>input_ids</c>).</summary>
    public IReadOnlyList<int> InputIds => Ids;

    /// <summary>Segment of each position: 0 for <c>[CLS] A [SEP]</c>, 1 for <c>B [SEP]</c> (<c>token_type_ids</c>).</summary>
    public IReadOnlyList<int> TokenTypeIds => TypeIds;

    /// <summary>1 where the tokenizer added a special token or padding, else 0 (<c>special_tokens_mask</c>).</summary>
    public IReadOnlyList<int> SpecialTokensMask => SpecialMask;

    /// <summary>1 for real positions, 0 for padding (<c>attention_mask</c>).</summary>
    public IReadOnlyList<int> AttentionMask => Attention;

    /// <summary>
    /// For each position, the range <c>[Start, End)</c> of UTF-16 chars of the original text (of the sequence
    /// it belongs to) that the token covers. A token's leading <c>▁</c> is not part of its range; a token that
    /// is only <c>▁</c> has an empty range where the next word starts. Added special tokens and padding have (0, 0);
    /// special tokens written in the text have their place in it.
    /// </summary>
    public IReadOnlyList<(int Start, int End)> Offsets => OffsetArray;

    /// <summary>Which input each position comes from: 0 (first text), 1 (second text), -1 (added special token or padding).</summary>
    public IReadOnlyList<int> SequenceIds => SequenceIdArray;

    /// <summary>
    /// The further windows of a truncated sequence when <see cref="AlbertEncodeOptions.ReturnOverflowingTokens"/>
    /// was set (each a complete encoding); empty otherwise.
    /// </summary>
    public IReadOnlyList<AlbertEncoding> Overflowing { get; internal set; } = NoOverflow;

    internal string[] TokensArray { get; }

    internal int[] Ids { get; }

    internal int[] TypeIds { get; }

    internal int[] SpecialMask { get; }

    internal int[] Attention { get; }

    internal (int Start, int End)[] OffsetArray { get; }

    internal int[] SequenceIdArray { get; }

    /// <summary>This encoding as a batch of one: int64 tensors of shape [1, <see cref="Length"/>].</summary>
    /// <param name="device">Where to create the tensors; null = CPU.</param>
    public AlbertInputTensors ToTensors(torch.Device? device = null) => AlbertInputTensors.Create([this], device);

    /// <inheritdoc/>
    public override string ToString() => string.Join(" ", TokensArray);
}
