namespace AlbertGen.Tasks;

/// <summary>A scored token span of one window.</summary>
/// <param name="Start">First token index.</param>
/// <param name="End">Last token index (inclusive).</param>
/// <param name="Score">P(start) · P(end).</param>
internal readonly record struct TokenSpan(int Start, int End, float Score);

/// <summary>
/// HuggingFace <c>QuestionAnsweringPipeline</c>'s span scoring on plain arrays: logits of tokens that cannot be in the answer
/// are set to -10000, start and end logits are softmaxed separately, the null answer is scored by <c>[CLS]</c> (index 0),
/// and spans with start ≤ end ≤ start + maxAnswerLength - 1 are ranked by P(start) · P(end).
/// </summary>
internal static class AnswerSpanScorer
{
    private const float Excluded = -10000f;

    /// <summary>Scores the spans of one window.</summary>
    /// <param name="startLogits">Start logits per token.</param>
    /// <param name="endLogits">End logits per token.</param>
    /// <param name="allowed">Whether each token may be part of the answer (context tokens; <c>[CLS]</c> for the null score).</param>
    /// <param name="topK">How many spans to return at most.</param>
    /// <param name="maxAnswerLength">Longest span in tokens.</param>
    /// <param name="nullScore">P(start = CLS) · P(end = CLS) of this window.</param>
    /// <returns>The best spans, best first; spans never include index 0.</returns>
    public static List<TokenSpan> Score(
        ReadOnlySpan<float> startLogits,
        ReadOnlySpan<float> endLogits,
        IReadOnlyList<bool> allowed,
        int topK,
        int maxAnswerLength,
        out float nullScore)
    {
        int n = startLogits.Length;
        var start = new float[n];
        var end = new float[n];
        for (int i = 0; i < n; i++)
        {
            start[i] = allowed[i] ? startLogits[i] : Excluded;
            end[i] = allowed[i] ? endLogits[i] : Excluded;
        }

        float[] pStart = ScoreMath.Softmax(start);
        float[] pEnd = ScoreMath.Softmax(end);
        nullScore = pStart[0] * pEnd[0];

        // HuggingFace zeroes [CLS] before ranking, so it is never part of a span.
        var spans = new List<TokenSpan>();
        for (int s = 1; s < n; s++)
        {
            if (!allowed[s])
            {
                continue;
            }

            for (int e = s; e < n && e <= s + maxAnswerLength - 1; e++)
            {
                if (allowed[e])
                {
                    spans.Add(new TokenSpan(s, e, pStart[s] * pEnd[e]));
                }
            }
        }

        // Best first; equal scores keep the earlier span first (row-major order of the score matrix).
        return [.. spans.OrderByDescending(span => span.Score).Take(topK)];
    }
}
