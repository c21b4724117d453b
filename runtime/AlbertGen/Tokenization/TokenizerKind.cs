namespace AlbertGen.Tokenization;

/// <summary>Which of HuggingFace's two ALBERT tokenizers an <see cref="AlbertTokenizer"/> reproduces.</summary>
/// <remarks>
/// They differ on some texts: numbers with commas (<c>2019,</c> is <c>▁20 19 ,</c> slow and <c>▁20 1 9 ,</c> fast), text
/// that is only whitespace or ends in it (the fast one keeps a <c>▁</c> token), and a space before a special token
/// written in the text (a <c>▁</c> token in the fast one). Fast offsets include a token's leading <c>▁</c>.
/// </remarks>
public enum TokenizerKind
{
    /// <summary>Fast when the folder has <c>tokenizer.json</c>, else slow: what HuggingFace's <c>AutoTokenizer</c> returns.</summary>
    Auto,

    /// <summary>HuggingFace's <c>AlbertTokenizer</c> (SentencePiece, <c>spiece.model</c>).</summary>
    Slow,

    /// <summary>HuggingFace's <c>AlbertTokenizerFast</c> (<c>tokenizers</c>, <c>tokenizer.json</c>, or <c>spiece.model</c> converted as <c>AlbertConverter</c> does).</summary>
    Fast,
}
