using System.Collections.Concurrent;
using Microsoft.ML.Tokenizers;

namespace AlbertGen.Tokenization;

/// <summary>A SentencePiece piece: its id and where it lies in the normalised text.</summary>
/// <param name="Id">Vocabulary id (the unknown id for an unknown run).</param>
/// <param name="Start">First char in the normalised text.</param>
/// <param name="Length">Length in chars.</param>
/// <param name="Unknown">Whether this is a run of characters outside the vocabulary.</param>
internal readonly record struct SentencePiece(int Id, int Start, int Length, bool Unknown);

/// <summary>
/// A SentencePiece model as the <c>sentencepiece</c> library applies it: our <see cref="SentencePieceTextNormalizer"/>,
/// then Microsoft.ML.Tokenizers' <see cref="SentencePieceTokenizer"/> for the segmentation, then the merge of
/// consecutive unknown characters into one piece. Thread-safe.
/// </summary>
/// <remarks>
/// Segmentation is cached per word (a span starting at <c>▁</c>). That is exact when no piece holds a <c>▁</c>
/// after its first char and <c>▁</c> alone is a piece, so no piece, and no unknown run, can cross a word
/// start; the constructor checks both and otherwise segments whole texts uncached.
/// </remarks>
internal sealed class SentencePieceEncoder
{
    private const int MaxCachedWordLength = 48;
    private const int MaxCacheEntries = 1 << 18;

    private readonly SentencePieceTokenizer _model;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _idsBySpan;
    private readonly bool _wordCache;
    private readonly ConcurrentDictionary<string, SentencePiece[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SentencePiece[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;
    private int _cacheCount;

    public SentencePieceEncoder(SentencePieceModelFile file)
    {
        File = file;
        Normalizer = new SentencePieceTextNormalizer(file);
        _ids = new Dictionary<string, int>(file.Pieces.Length, StringComparer.Ordinal);
        for (int id = 0; id < file.Pieces.Length; id++)
        {
            _ids.TryAdd(file.Pieces[id], id); // SentencePiece keeps the first id of a duplicated piece.
        }

        _idsBySpan = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _model = CreateModel(file);
        const char space = SentencePieceTextNormalizer.SpaceSymbol;
        _wordCache = !file.TreatWhitespaceAsSuffix
            && _ids.TryGetValue(space.ToString(), out int spaceId) && file.Types[spaceId] == PieceType.Normal
            && !file.Pieces.Any(p => p.IndexOf(space, 1) > 0);
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public SentencePieceModelFile File { get; }

    public SentencePieceTextNormalizer Normalizer { get; }

    /// <summary>The id of a piece; the unknown id for text that is not a piece (SentencePiece <c>PieceToId</c>).</summary>
    public int PieceToId(string piece) => _ids.TryGetValue(piece, out int id) ? id : File.UnkId;

    /// <summary>The id of a piece given as a span; the unknown id for text that is not a piece.</summary>
    public int PieceToId(ReadOnlySpan<char> piece) => _idsBySpan.TryGetValue(piece, out int id) ? id : File.UnkId;

    /// <summary>The id of a piece, or -1.</summary>
    public int FindId(string piece) => _ids.TryGetValue(piece, out int id) ? id : -1;

    /// <summary>Segments normalised text (from <see cref="Normalizer"/>) and appends its pieces.</summary>
    public void Encode(ReadOnlySpan<char> normalized, List<SentencePiece> output)
    {
        if (!_wordCache)
        {
            Segment(normalized, 0, output);
            return;
        }

        int start = 0;
        while (start < normalized.Length)
        {
            int next = normalized[(start + 1)..].IndexOf(SentencePieceTextNormalizer.SpaceSymbol);
            int end = next < 0 ? normalized.Length : start + 1 + next;
            ReadOnlySpan<char> word = normalized[start..end];
            if (word.Length <= MaxCachedWordLength)
            {
                if (!_cacheBySpan.TryGetValue(word, out SentencePiece[]? pieces))
                {
                    var list = new List<SentencePiece>();
                    Segment(word, 0, list);
                    pieces = [.. list];
                    if (Interlocked.Increment(ref _cacheCount) > MaxCacheEntries)
                    {
                        _cache.Clear(); // A crude bound: hostile input cannot grow the cache without limit.
                        Interlocked.Exchange(ref _cacheCount, 0);
                    }

                    _cacheBySpan.TryAdd(word, pieces);
                }

                foreach (SentencePiece piece in pieces)
                {
                    output.Add(piece with { Start = piece.Start + start });
                }
            }
            else
            {
                Segment(word, start, output);
            }

            start = end;
        }
    }

    /// <summary>SentencePiece's <c>EncodeAsPieces</c>: normalises, segments and returns the pieces' text.</summary>
    public List<string> EncodeAsPieces(string text)
    {
        var normalized = new AlignedText();
        Normalizer.Normalize(AlignedText.FromText(text), normalized);
        var pieces = new List<SentencePiece>();
        Encode(normalized.Chars, pieces);
        return pieces.Select(p => normalized.Chars.Slice(p.Start, p.Length).ToString()).ToList();
    }

    private void Segment(ReadOnlySpan<char> text, int offset, List<SentencePiece> output)
    {
        IReadOnlyList<EncodedToken> tokens = _model.EncodeToTokens(
            text, out _, addBeginningOfSentence: false, addEndOfSentence: false, considerPreTokenization: false, considerNormalization: false);
        foreach (EncodedToken token in tokens)
        {
            // Clamped: with some malformed models (found by fuzzing) ML.Tokenizers reports ranges past the text it was
            // given; a token that covers none of the text is dropped rather than failing the call.
            int start = Math.Clamp(token.Offset.Start.GetOffset(text.Length), 0, text.Length);
            int length = Math.Clamp(token.Offset.End.GetOffset(text.Length), start, text.Length) - start;
            if (length == 0)
            {
                continue;
            }

            bool unknown = token.Id == File.UnkId;
            if (unknown && output.Count > 0 && output[^1] is { Unknown: true } previous && previous.Start + previous.Length == start + offset)
            {
                // ML.Tokenizers emits one unknown token per character; SentencePiece merges the run into one piece.
                output[^1] = previous with { Length = previous.Length + length };
                continue;
            }

            output.Add(new SentencePiece(token.Id, start + offset, length, unknown));
        }
    }

    private static SentencePieceTokenizer CreateModel(SentencePieceModelFile file)
    {
        byte[] bytes = file.Bytes;
        int count = file.Pieces.Length;
        if ((uint)file.BosId >= (uint)count || (uint)file.EosId >= (uint)count)
        {
            // See SentencePieceModelFile.WithSentenceIds: ML.Tokenizers needs valid bos/eos ids to load.
            int bos = FirstControl(file, "[CLS]", "<s>");
            int eos = FirstControl(file, "[SEP]", "</s>");
            bytes = file.WithSentenceIds(bos, eos);
        }

        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            return SentencePieceTokenizer.Create(stream, false, false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{file.Source}' could not be loaded by Microsoft.ML.Tokenizers: {e.Message}", e);
        }
    }

    private static int FirstControl(SentencePieceModelFile file, params string[] names)
    {
        foreach (string name in names)
        {
            int id = Array.IndexOf(file.Pieces, name);
            if (id >= 0)
            {
                return id;
            }
        }

        return file.UnkId;
    }
}
