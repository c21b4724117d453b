namespace AlbertGen.Tokenization;

/// <summary>How a sequence (pair) longer than the maximum length is cut (HuggingFace <c>truncation</c>).</summary>
public enum TruncationStrategy
{
    /// <summary>No truncation (HF <c>do_not_truncate</c>).</summary>
    None,

    /// <summary>Remove tokens from the end of the longer sequence, one at a time (HF <c>longest_first</c>).</summary>
    LongestFirst,

    /// <summary>Remove tokens from the end of the first sequence only (HF <c>only_first</c>).</summary>
    OnlyFirst,

    /// <summary>Remove tokens from the end of the second sequence only (HF <c>only_second</c>).</summary>
    OnlySecond,
}

/// <summary>How encodings are padded (HuggingFace <c>padding</c>).</summary>
public enum PaddingStrategy
{
    /// <summary>No padding (HF <c>do_not_pad</c>).</summary>
    None,

    /// <summary>Pad every row of a batch to its longest row (HF <c>longest</c>).</summary>
    Longest,

    /// <summary>Pad to the maximum length (HF <c>max_length</c>).</summary>
    MaxLength,
}

/// <summary>Where padding goes (HuggingFace <c>padding_side</c>).</summary>
public enum PaddingSide
{
    /// <summary>After the tokens (ALBERT's default).</summary>
    Right,

    /// <summary>Before the tokens.</summary>
    Left,
}

/// <summary>Per-call encoding settings, named after HuggingFace's <c>__call__</c>/<c>encode_plus</c> arguments.</summary>
public sealed record AlbertEncodeOptions
{
    /// <summary>The defaults: special tokens added, no truncation, no padding.</summary>
    public static AlbertEncodeOptions Default { get; } = new();

    /// <summary>Add <c>[CLS] A [SEP]</c> / <c>[CLS] A [SEP] B [SEP]</c> (<c>add_special_tokens</c>). Default true.</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>Truncation strategy. Default <see cref="TruncationStrategy.None"/>.</summary>
    public TruncationStrategy Truncation { get; init; }

    /// <summary>Maximum length, special tokens included, for truncation and <see cref="PaddingStrategy.MaxLength"/>; null = the tokenizer's <see cref="AlbertTokenizer.MaxLength"/>.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Tokens shared by consecutive overflow windows (<c>stride</c>). Must be less than the tokens a window holds.</summary>
    public int Stride { get; init; }

    /// <summary>
    /// Return the truncated tokens as further windows (<c>return_overflowing_tokens</c>), each a complete
    /// encoding with the other sequence and special tokens, as HuggingFace's fast tokenizers return them.
    /// Not possible with <see cref="TruncationStrategy.LongestFirst"/> on a pair (HuggingFace refuses it too).
    /// </summary>
    public bool ReturnOverflowingTokens { get; init; }

    /// <summary>Padding strategy. Default <see cref="PaddingStrategy.None"/>.</summary>
    public PaddingStrategy Padding { get; init; }

    /// <summary>Side padding goes. Default <see cref="PaddingSide.Right"/>.</summary>
    public PaddingSide PaddingSide { get; init; }

    /// <summary>Round padded lengths up to a multiple of this (<c>pad_to_multiple_of</c>); null = no rounding.</summary>
    public int? PadToMultipleOf { get; init; }
}
