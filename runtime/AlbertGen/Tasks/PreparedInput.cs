using AlbertGen.Tokenization;

namespace AlbertGen.Tasks;

/// <summary>
/// One input after a pipeline's preprocess stage: the encoded rows it puts through the model (one for a text or a pair,
/// one per window of a long question-answering context, one per choice of a multiple-choice prompt), unpadded. The
/// forward stage takes a list of them and pads each pass to its longest row; the postprocess stage turns the forward
/// stage's output for it into the result.
/// </summary>
public abstract class PreparedInput
{
    private protected PreparedInput(IReadOnlyList<AlbertEncoding> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("A prepared input has at least one row.", nameof(rows));
        }

        Rows = rows;
        Length = rows.Max(r => r.Length);
    }

    /// <summary>The rows this input occupies in a forward pass, in order.</summary>
    public IReadOnlyList<AlbertEncoding> Rows { get; }

    /// <summary>How many rows: what a batch of inputs costs in rows.</summary>
    public int RowCount => Rows.Count;

    /// <summary>Tokens of its longest row: what a pass holding it is padded to at least.</summary>
    public int Length { get; }

    /// <summary>Real (unpadded) tokens over all rows.</summary>
    public int Tokens => Rows.Sum(r => r.AttentionMask.Count(a => a != 0));
}

/// <summary>A text, or a pair of texts, encoded as one row (embeddings, classification).</summary>
public sealed class EncodedText : PreparedInput
{
    internal EncodedText(string text, string? textPair, AlbertEncoding encoding)
        : base([encoding])
    {
        Text = text;
        TextPair = textPair;
    }

    /// <summary>The text.</summary>
    public string Text { get; }

    /// <summary>The second text of a pair, or null.</summary>
    public string? TextPair { get; }

    /// <summary>Its only row.</summary>
    public AlbertEncoding Encoding => Rows[0];
}

/// <summary>An input longer than the model takes, with truncation off.</summary>
public sealed class InputTooLongException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="tokens">The input's tokens, special tokens included.</param>
    /// <param name="maxTokens">The most the model takes.</param>
    /// <param name="index">The input's index in a call of several inputs, or null.</param>
    public InputTooLongException(int tokens, int maxTokens, int? index = null)
        : base($"{(index is int i ? $"Input {i}" : "The input")} has {tokens} tokens; the model takes at most {maxTokens}. Shorten it or enable truncation (PipelineOptions.Truncation).")
    {
        Tokens = tokens;
        MaxTokens = maxTokens;
    }

    /// <summary>The input's tokens, special tokens included.</summary>
    public int Tokens { get; }

    /// <summary>The most the model takes.</summary>
    public int MaxTokens { get; }
}
