using System.Collections.Concurrent;
using System.Text;

namespace AlbertGen.Tokenization.Fast;

/// <summary>A token of one word: its id and its chars <c>[Start, Start + Length)</c> of the word.</summary>
internal readonly record struct WordToken(int Id, int Start, int Length);

/// <summary>
/// HF <c>tokenizers</c>' Unigram model: the best segmentation of a word by the sum of piece scores (Viterbi over
/// every vocabulary piece, control and user pieces included), a code point no piece covers costing the unknown
/// score (lowest score − 10), consecutive unknown code points fused into one token (the unknown id, or its own id if its
/// text is a piece), optional byte fallback.
/// Thread-safe; segmentations of words are cached (bounded).
/// </summary>
internal sealed class UnigramModel
{
    private const double UnknownPenalty = 10.0;
    private const int MaxCachedWordLength = 48;
    private const int MaxCacheEntries = 1 << 18;

    private readonly double[] _scores;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _idsBySpan;
    private readonly int _maxPieceLength;
    private readonly double _unknownScore;
    private readonly ConcurrentDictionary<string, WordToken[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WordToken[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;
    private int _cacheCount;

    /// <param name="pieces">The vocabulary, by id.</param>
    /// <param name="scores">Each piece's score.</param>
    /// <param name="unknownId">Id of the unknown piece.</param>
    /// <param name="byteFallback">Whether unknown text becomes <c>&lt;0xXX&gt;</c> byte pieces.</param>
    public UnigramModel(string[] pieces, double[] scores, int unknownId, bool byteFallback)
    {
        Pieces = pieces;
        _scores = scores;
        UnknownId = unknownId;
        ByteFallback = byteFallback;
        _ids = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        double min = double.MaxValue;
        for (int id = 0; id < pieces.Length; id++)
        {
            _ids[pieces[id]] = id; // HF keeps the last id of a repeated piece
            _maxPieceLength = Math.Max(_maxPieceLength, pieces[id].Length);
            min = Math.Min(min, scores[id]);
        }

        _unknownScore = (pieces.Length == 0 ? 0 : min) - UnknownPenalty;
        _idsBySpan = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string[] Pieces { get; }

    public int UnknownId { get; }

    public bool ByteFallback { get; }

    /// <summary>The id of a piece, or null.</summary>
    public int? TokenToId(ReadOnlySpan<char> token) => _idsBySpan.TryGetValue(token, out int id) ? id : null;

    /// <summary>Appends the tokens of <paramref name="word"/>.</summary>
    public void Tokenize(ReadOnlySpan<char> word, List<WordToken> output)
    {
        if (word.IsEmpty)
        {
            return;
        }

        if (word.Length > MaxCachedWordLength)
        {
            Segment(word, output);
            return;
        }

        if (!_cacheBySpan.TryGetValue(word, out WordToken[]? tokens))
        {
            var list = new List<WordToken>();
            Segment(word, list);
            tokens = [.. list];
            if (Interlocked.Increment(ref _cacheCount) > MaxCacheEntries)
            {
                _cache.Clear(); // a crude bound: hostile input cannot grow the cache without limit
                Interlocked.Exchange(ref _cacheCount, 0);
            }

            _cacheBySpan.TryAdd(word, tokens);
        }

        output.AddRange(tokens);
    }

    private void Segment(ReadOnlySpan<char> word, List<WordToken> output)
    {
        int n = word.Length;
        var best = new double[n + 1];
        var from = new int[n + 1];
        var ids = new int[n + 1];
        from.AsSpan().Fill(-1);
        for (int start = 0; start < n;)
        {
            int codePoint = AlignedEdits.CodePointLength(word, start);
            if (start > 0 && from[start] < 0)
            {
                start += codePoint; // unreachable: inside a surrogate pair
                continue;
            }

            double here = best[start];
            bool single = false;
            int longest = Math.Min(_maxPieceLength, n - start);
            for (int length = 1; length <= longest; length++)
            {
                if (!_idsBySpan.TryGetValue(word.Slice(start, length), out int id))
                {
                    continue;
                }

                int end = start + length;
                double score = here + _scores[id];
                if (from[end] < 0 || score > best[end])
                {
                    (best[end], from[end], ids[end]) = (score, start, id);
                }

                single |= length == codePoint;
            }

            if (!single)
            {
                int end = start + codePoint;
                double score = here + _unknownScore;
                if (from[end] < 0 || score > best[end])
                {
                    (best[end], from[end], ids[end]) = (score, start, -1);
                }
            }

            start += codePoint;
        }

        int first = output.Count;
        int unknownEnd = -1;
        for (int end = n; end > 0; end = from[end])
        {
            int start = from[end];
            if (ids[end] < 0)
            {
                unknownEnd = unknownEnd < 0 ? end : unknownEnd; // fuse a run of unknown code points
                if (start > 0 && ids[start] < 0)
                {
                    continue;
                }

                AddUnknown(word, start, unknownEnd, output);
                unknownEnd = -1;
                continue;
            }

            output.Add(new WordToken(ids[end], start, end - start));
        }

        output.Reverse(first, output.Count - first);
    }

    /// <summary>An unknown run: its own id if its text is a piece, else bytes (with byte fallback) or the unknown id.</summary>
    /// <remarks>Called while the tokens are collected back to front, so byte pieces are added in reverse.</remarks>
    private void AddUnknown(ReadOnlySpan<char> word, int start, int end, List<WordToken> output)
    {
        ReadOnlySpan<char> text = word[start..end];
        if (_idsBySpan.TryGetValue(text, out int id))
        {
            output.Add(new WordToken(id, start, end - start));
            return;
        }

        if (ByteFallback && ByteIds(text) is { } bytes)
        {
            for (int k = bytes.Length - 1; k >= 0; k--)
            {
                output.Add(new WordToken(bytes[k], start, end - start));
            }

            return;
        }

        output.Add(new WordToken(UnknownId, start, end - start));
    }

    private int[]? ByteIds(ReadOnlySpan<char> text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text.ToString());
        var ids = new int[utf8.Length];
        for (int k = 0; k < utf8.Length; k++)
        {
            if (!_ids.TryGetValue($"<0x{utf8[k]:X2}>", out ids[k]))
            {
                return null;
            }
        }

        return ids;
    }
}
