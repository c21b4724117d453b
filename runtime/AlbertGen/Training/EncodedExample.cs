namespace AlbertGen.Training;

/// <summary>
/// One model input row (or, for multiple choice, one row per choice) with its targets, before padding.
/// </summary>
internal sealed class EncodedExample
{
    /// <summary>Token ids per row: one row, or one per choice.</summary>
    public required int[][] InputIds { get; init; }

    /// <summary>Token type ids, same shape as <see cref="InputIds"/>.</summary>
    public required int[][] TokenTypeIds { get; init; }

    /// <summary>Class or choice index (single-label tasks).</summary>
    public long ClassLabel { get; init; }

    /// <summary>Float targets: the value for regression, the multi-hot vector for multi-label.</summary>
    public float[]? FloatLabels { get; init; }

    /// <summary>Per-token labels (-100 = ignored) for token classification.</summary>
    public long[]? TokenLabels { get; init; }

    /// <summary>Answer start token (0 = <c>[CLS]</c>, no answer in this window).</summary>
    public long StartPosition { get; init; }

    /// <summary>Answer end token.</summary>
    public long EndPosition { get; init; }

    /// <summary>Index of the source example (windows of one QA example share it).</summary>
    public int ExampleIndex { get; init; }

    /// <summary>QA: character span in the context of each token, (-1, -1) for question and special tokens.</summary>
    public (int Start, int End)[]? ContextOffsets { get; init; }

    /// <summary>Number of real tokens over all rows.</summary>
    public int TokenCount => InputIds.Sum(r => r.Length);
}
