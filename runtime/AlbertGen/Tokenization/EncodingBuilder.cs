namespace AlbertGen.Tokenization;

/// <summary>
/// Turns the tokens of one or two texts into <see cref="AlbertEncoding"/>s: truncation (with overflow
/// windows), special tokens, token types and padding, with HuggingFace's semantics.
/// </summary>
internal sealed class EncodingBuilder
{
    private readonly PostProcessorTemplate _template;
    private readonly int _padId;
    private readonly string _padToken;
    private readonly bool _fastLongestFirst;

    /// <param name="template">Where special tokens go.</param>
    /// <param name="padId">The padding id.</param>
    /// <param name="padToken">The padding token.</param>
    /// <param name="fastLongestFirst">Split a pair's <see cref="TruncationStrategy.LongestFirst"/> budget as HF's fast tokenizers do (else as the slow ones do).</param>
    public EncodingBuilder(PostProcessorTemplate template, int padId, string padToken, bool fastLongestFirst)
    {
        (_template, _padId, _padToken, _fastLongestFirst) = (template, padId, padToken, fastLongestFirst);
    }

    /// <summary>Truncates to <paramref name="maxLength"/> if asked and adds special tokens (no padding); overflow windows go to <see cref="AlbertEncoding.Overflowing"/>.</summary>
    public AlbertEncoding Build(TokenSequence first, TokenSequence? second, AlbertEncodeOptions options, int maxLength)
    {
        int added = options.AddSpecialTokens ? _template.Added(second is not null) : 0;
        Range firstRange = Range.All, secondRange = Range.All;
        List<(Range First, Range Second)>? windows = null;
        int total = first.Count + (second?.Count ?? 0);
        if (options.Truncation != TruncationStrategy.None && total + added > maxLength)
        {
            int toRemove = total + added - maxLength;
            TruncationStrategy strategy = options.Truncation == TruncationStrategy.LongestFirst && second is null
                ? TruncationStrategy.OnlyFirst
                : options.Truncation;
            switch (strategy)
            {
                case TruncationStrategy.LongestFirst:
                    if (options.ReturnOverflowingTokens)
                    {
                        throw new ArgumentException(
                            "Overflowing tokens cannot be returned for a pair truncated with LongestFirst; use OnlyFirst or OnlySecond (as HuggingFace requires).",
                            nameof(options));
                    }

                    (int keepFirst, int keepSecond) = _fastLongestFirst
                        ? FastLongestFirst(first.Count, second!.Count, maxLength - added)
                        : LongestFirst(first.Count, second!.Count, toRemove);
                    firstRange = ..keepFirst;
                    secondRange = ..keepSecond;
                    break;
                case TruncationStrategy.OnlyFirst:
                    windows = Windows(first.Count, toRemove, options, "first").Select(w => (w, Range.All)).ToList();
                    break;
                case TruncationStrategy.OnlySecond:
                    if (second is null)
                    {
                        throw new ArgumentException("OnlySecond truncation needs a pair of texts.", nameof(options));
                    }

                    windows = Windows(second.Count, toRemove, options, "second").Select(w => (Range.All, w)).ToList();
                    break;
            }
        }

        windows ??= [(firstRange, secondRange)];
        AlbertEncoding main = Assemble(first, windows[0].First, second, windows[0].Second, options.AddSpecialTokens);
        if (options.ReturnOverflowingTokens && windows.Count > 1)
        {
            main.Overflowing = windows.Skip(1)
                .Select(w => Assemble(first, w.First, second, w.Second, options.AddSpecialTokens))
                .ToArray();
        }

        return main;
    }

    /// <summary>The ids of one sequence with the template's special tokens (no truncation).</summary>
    public int[] SingleIds(List<int> sequence, bool addSpecial)
    {
        if (!addSpecial)
        {
            return [.. sequence];
        }

        var ids = new int[sequence.Count + _template.Added(pair: false)];
        int n = 0;
        foreach (TemplateItem item in _template.Single)
        {
            if (item.Sequence < 0)
            {
                item.Ids.CopyTo(ids, n);
                n += item.Ids.Length;
            }
            else if (item.Sequence == 0)
            {
                sequence.CopyTo(ids, n);
                n += sequence.Count;
            }
        }

        return ids;
    }

    /// <summary>Pads rows as <paramref name="options"/> say: to the longest row or to <paramref name="maxLength"/>.</summary>
    public void PadRows(AlbertEncoding[] rows, AlbertEncodeOptions options, int maxLength)
    {
        if (options.Padding == PaddingStrategy.None || rows.Length == 0)
        {
            return;
        }

        int length = options.Padding == PaddingStrategy.MaxLength ? maxLength : rows.Max(r => r.Length);
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r] = Pad(rows[r], length, options);
        }
    }

    /// <summary>
    /// HuggingFace's slow-tokenizer <c>longest_first</c> for a pair: the difference in length comes off the
    /// longer sequence, the rest is split evenly with the odd token taken from the second
    /// (the same as removing one token at a time from the longer, the second on ties).
    /// </summary>
    private static (int First, int Second) LongestFirst(int firstCount, int secondCount, int toRemove)
    {
        int firstRemove = Math.Min(Math.Abs(secondCount - firstCount), toRemove);
        int secondRemove = toRemove - firstRemove;
        int fromFirst, fromSecond;
        if (firstCount > secondCount)
        {
            fromFirst = firstRemove + (secondRemove / 2);
            fromSecond = secondRemove - (secondRemove / 2);
        }
        else
        {
            fromFirst = secondRemove / 2;
            fromSecond = firstRemove + secondRemove - (secondRemove / 2);
        }

        return (Math.Max(0, firstCount - fromFirst), Math.Max(0, secondCount - fromSecond));
    }

    /// <summary>
    /// HuggingFace <c>tokenizers</c>' <c>longest_first</c> for a pair: the shorter sequence keeps its length when the
    /// longer can still have the rest, else both get half of <paramref name="budget"/> (the second the odd token).
    /// </summary>
    private static (int First, int Second) FastLongestFirst(int firstCount, int secondCount, int budget)
    {
        budget = Math.Max(0, budget);
        bool swap = firstCount > secondCount;
        (int n1, int n2) = swap ? (secondCount, firstCount) : (firstCount, secondCount);
        n2 = n1 > budget ? n1 : Math.Max(n1, budget - n1);
        if (n1 + n2 > budget)
        {
            n1 = budget / 2;
            n2 = n1 + (budget % 2);
        }

        (int keepFirst, int keepSecond) = swap ? (n2, n1) : (n1, n2);
        return (Math.Min(keepFirst, firstCount), Math.Min(keepSecond, secondCount));
    }

    /// <summary>
    /// The windows of a sequence of <paramref name="count"/> tokens that must lose <paramref name="toRemove"/>:
    /// the first keeps the head (HuggingFace's truncation); with overflow, further windows of the same size
    /// start every <c>size - stride</c> tokens until one reaches the end (HuggingFace tokenizers'
    /// <c>Encoding::truncate</c>). The second window starts where the slow tokenizer's <c>overflowing_tokens</c> start.
    /// </summary>
    private static List<Range> Windows(int count, int toRemove, AlbertEncodeOptions options, string which)
    {
        int size = count - toRemove;
        if (size <= 0)
        {
            throw new ArgumentException(
                $"Cannot truncate to the maximum length: the {which} sequence has {count} tokens but {toRemove} must go; raise MaxLength or choose another truncation strategy.",
                nameof(options));
        }

        var windows = new List<Range> { ..size };
        if (!options.ReturnOverflowingTokens)
        {
            return windows;
        }

        if (options.Stride < 0 || options.Stride >= size)
        {
            throw new ArgumentException(
                $"Stride {options.Stride} must be at least 0 and less than the {size} tokens a window of the {which} sequence holds.",
                nameof(options));
        }

        int step = size - options.Stride;
        for (int start = step; ; start += step)
        {
            int stop = Math.Min(start + size, count);
            windows.Add(start..stop);
            if (stop == count)
            {
                break;
            }
        }

        return windows;
    }

    private AlbertEncoding Assemble(TokenSequence first, Range firstRange, TokenSequence? second, Range secondRange, bool addSpecial)
    {
        (int firstStart, int firstCount) = firstRange.GetOffsetAndLength(first.Count);
        (int secondStart, int secondCount) = second is null ? (0, 0) : secondRange.GetOffsetAndLength(second.Count);
        PostProcessorTemplate template = addSpecial ? _template : PostProcessorTemplate.None;
        TemplateItem[] items = second is null ? template.Single : template.Pair;
        int length = firstCount + secondCount + template.Added(second is not null);
        var tokens = new string[length];
        var ids = new int[length];
        var types = new int[length];
        var special = new int[length];
        var attention = new int[length];
        var offsets = new (int, int)[length];
        var sequences = new int[length];
        attention.AsSpan().Fill(1);
        int n = 0;
        foreach (TemplateItem item in items)
        {
            if (item.Sequence < 0)
            {
                for (int k = 0; k < item.Ids.Length; k++)
                {
                    (tokens[n], ids[n], types[n], special[n], sequences[n]) = (item.Tokens[k], item.Ids[k], item.TypeId, 1, -1);
                    n++;
                }

                continue;
            }

            (TokenSequence? sequence, int start, int count) = item.Sequence == 0 ? (first, firstStart, firstCount) : (second, secondStart, secondCount);
            if (sequence is null)
            {
                continue;
            }

            sequence.Tokens.CopyTo(start, tokens, n, count);
            sequence.Ids.CopyTo(start, ids, n, count);
            sequence.Offsets.CopyTo(start, offsets, n, count);
            types.AsSpan(n, count).Fill(item.TypeId);
            sequences.AsSpan(n, count).Fill(item.Sequence);
            n += count;
        }

        return new AlbertEncoding(tokens, ids, types, special, attention, offsets, sequences);
    }

    /// <summary>Pads <paramref name="encoding"/> to <paramref name="length"/> (rounded up to <c>PadToMultipleOf</c>); returns it unchanged if already long enough.</summary>
    private AlbertEncoding Pad(AlbertEncoding encoding, int length, AlbertEncodeOptions options)
    {
        if (options.PadToMultipleOf is int multiple && multiple > 0 && length % multiple != 0)
        {
            length += multiple - (length % multiple);
        }

        int pad = length - encoding.Length;
        if (pad <= 0)
        {
            return encoding;
        }

        int at = options.PaddingSide == PaddingSide.Right ? 0 : pad; // where the real tokens start
        int padAt = options.PaddingSide == PaddingSide.Right ? encoding.Length : 0;
        T[] Grow<T>(T[] values, T padding)
        {
            var grown = new T[length];
            values.CopyTo(grown, at);
            grown.AsSpan(padAt, pad).Fill(padding);
            return grown;
        }

        var padded = new AlbertEncoding(
            Grow(encoding.TokensArray, _padToken), Grow(encoding.Ids, _padId), Grow(encoding.TypeIds, 0),
            Grow(encoding.SpecialMask, 1), Grow(encoding.Attention, 0), Grow(encoding.OffsetArray, (0, 0)),
            Grow(encoding.SequenceIdArray, -1));
        padded.Overflowing = encoding.Overflowing;
        return padded;
    }
}
