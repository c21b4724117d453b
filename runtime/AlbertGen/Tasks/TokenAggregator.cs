namespace AlbertGen.Tasks;

/// <summary>One token before aggregation: its label probabilities and where it sits in the text.</summary>
/// <param name="Word">The token string (for an unknown token, the text it covers).</param>
/// <param name="Scores">Softmax over the labels.</param>
/// <param name="Start">First char of the token in the text.</param>
/// <param name="End">Char after the token.</param>
/// <param name="Index">Token index in the encoded input (<c>[CLS]</c> is 0).</param>
/// <param name="IsSubword">Whether the token continues the previous token's word.</param>
internal sealed record PreEntity(string Word, float[] Scores, int Start, int End, int Index, bool IsSubword);

/// <summary>
/// HuggingFace <c>TokenClassificationPipeline</c>'s post-processing on plain arrays: gathering tokens, word aggregation
/// (first / average / max), grouping adjacent entities with B-/I- prefix handling, and ignoring labels.
/// </summary>
internal static class TokenAggregator
{
    /// <summary>
    /// The tokens that can carry entities: every position not marked special, with softmaxed scores. A token is a subword
    /// by HuggingFace's heuristic for tokenizers without word boundaries: it starts after the text's first char and
    /// neither it nor the char before it is a space. Unknown tokens take their text as word and never continue a word.
    /// </summary>
    public static List<PreEntity> Gather(
        string sentence,
        IReadOnlyList<string> tokens,
        IReadOnlyList<int> ids,
        IReadOnlyList<int> specialTokensMask,
        IReadOnlyList<(int Start, int End)> offsets,
        IReadOnlyList<float[]> logits,
        int unknownId)
    {
        var pre = new List<PreEntity>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (specialTokensMask[i] != 0)
            {
                continue;
            }

            (int start, int end) = offsets[i];
            string word = tokens[i];
            bool isSubword = start > 0 && sentence[start - 1] != ' ' && (start >= sentence.Length || sentence[start] != ' ');
            if (ids[i] == unknownId)
            {
                word = sentence[start..end];
                isSubword = false;
            }

            pre.Add(new PreEntity(word, ScoreMath.Softmax(logits[i]), start, end, i, isSubword));
        }

        return pre;
    }

    /// <summary>Aggregates by <paramref name="strategy"/>, then drops entities whose label is in <paramref name="ignoreLabels"/>.</summary>
    public static List<TokenEntity> Aggregate(
        IReadOnlyList<PreEntity> pre,
        IReadOnlyList<string> id2label,
        AggregationStrategy strategy,
        IReadOnlyCollection<string> ignoreLabels,
        Func<IEnumerable<string>, string> tokensToString)
    {
        List<TokenEntity> entities;
        if (strategy is AggregationStrategy.None or AggregationStrategy.Simple)
        {
            entities = [.. pre.Select(p =>
            {
                int best = ArgMax(p.Scores);
                return new TokenEntity(Label(id2label, best), p.Scores[best], p.Word, p.Start, p.End, p.Index);
            })];
        }
        else
        {
            entities = AggregateWords(pre, id2label, strategy);
        }

        if (strategy != AggregationStrategy.None)
        {
            entities = GroupEntities(entities, tokensToString);
        }

        return [.. entities.Where(e => !ignoreLabels.Contains(e.Entity))];
    }

    /// <summary>Makes the tokens of each word agree on one label (first / average / max), one entity per word (its word is the raw pieces concatenated).</summary>
    public static List<TokenEntity> AggregateWords(IReadOnlyList<PreEntity> pre, IReadOnlyList<string> id2label, AggregationStrategy strategy)
    {
        if (strategy is AggregationStrategy.None or AggregationStrategy.Simple)
        {
            throw new ArgumentException("None and Simple are not word aggregation strategies.", nameof(strategy));
        }

        var words = new List<TokenEntity>();
        var group = new List<PreEntity>();
        foreach (PreEntity entity in pre)
        {
            if (group.Count > 0 && !entity.IsSubword)
            {
                words.Add(AggregateWord(group, id2label, strategy));
                group.Clear();
            }

            group.Add(entity);
        }

        if (group.Count > 0)
        {
            words.Add(AggregateWord(group, id2label, strategy));
        }

        return words;
    }

    private static TokenEntity AggregateWord(List<PreEntity> tokens, IReadOnlyList<string> id2label, AggregationStrategy strategy)
    {
        // The word keeps its raw pieces (with ▁); grouping turns them into text once. HuggingFace converts here and again
        // when grouping, which glues SentencePiece words together ("new", "york" → "newyork"); this keeps the space.
        string word = string.Concat(tokens.Select(t => t.Word));
        float[] scores;
        switch (strategy)
        {
            case AggregationStrategy.First:
                scores = tokens[0].Scores;
                break;
            case AggregationStrategy.Max:
                // The first token holding the highest single score decides.
                PreEntity top = tokens[0];
                foreach (PreEntity t in tokens)
                {
                    if (t.Scores.Max() > top.Scores.Max())
                    {
                        top = t;
                    }
                }

                scores = top.Scores;
                break;
            case AggregationStrategy.Average:
                scores = new float[tokens[0].Scores.Length];
                for (int label = 0; label < scores.Length; label++)
                {
                    scores[label] = NanMean(tokens.Select(t => t.Scores[label]));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Not a word aggregation strategy.");
        }

        int best = ArgMax(scores);
        return new TokenEntity(Label(id2label, best), scores[best], word, tokens[0].Start, tokens[^1].End, null);
    }

    /// <summary>
    /// Groups adjacent entities with the same tag: an entity joins the previous group when its tag (label without a
    /// <c>B-</c>/<c>I-</c> prefix) matches and it is not a <c>B-</c> entity. Labels without a prefix count as <c>I-</c>.
    /// </summary>
    public static List<TokenEntity> GroupEntities(IReadOnlyList<TokenEntity> entities, Func<IEnumerable<string>, string> tokensToString)
    {
        var groups = new List<TokenEntity>();
        var current = new List<TokenEntity>();
        foreach (TokenEntity entity in entities)
        {
            if (current.Count > 0)
            {
                (string bi, string tag) = Tag(entity.Entity);
                (_, string lastTag) = Tag(current[^1].Entity);
                if (tag != lastTag || bi == "B")
                {
                    groups.Add(GroupSubEntities(current, tokensToString));
                    current.Clear();
                }
            }

            current.Add(entity);
        }

        if (current.Count > 0)
        {
            groups.Add(GroupSubEntities(current, tokensToString));
        }

        return groups;
    }

    /// <summary>HuggingFace <c>get_tag</c>: (<c>"B"</c> or <c>"I"</c>, the tag).</summary>
    public static (string BI, string Tag) Tag(string entity) =>
        entity.StartsWith("B-", StringComparison.Ordinal) ? ("B", entity[2..])
        : entity.StartsWith("I-", StringComparison.Ordinal) ? ("I", entity[2..])
        : ("I", entity);

    private static TokenEntity GroupSubEntities(List<TokenEntity> entities, Func<IEnumerable<string>, string> tokensToString)
    {
        // The group's name is the first entity's label after its first '-' (HuggingFace: split("-", 1)[-1]).
        string first = entities[0].Entity;
        int dash = first.IndexOf('-', StringComparison.Ordinal);
        string group = dash < 0 ? first : first[(dash + 1)..];
        float score = NanMean(entities.Select(e => e.Score));
        return new TokenEntity(group, score, tokensToString(entities.Select(e => e.Word)), entities[0].Start, entities[^1].End, null);
    }

    private static float NanMean(IEnumerable<float> values)
    {
        double sum = 0;
        int count = 0;
        foreach (float v in values)
        {
            if (!float.IsNaN(v))
            {
                sum += v;
                count++;
            }
        }

        return count == 0 ? float.NaN : (float)(sum / count);
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static string Label(IReadOnlyList<string> id2label, int id) => id < id2label.Count ? id2label[id] : $"LABEL_{id}";
}
