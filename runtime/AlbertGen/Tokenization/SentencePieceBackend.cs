using System.Collections.Concurrent;
using System.Text;

namespace AlbertGen.Tokenization;

/// <summary>
/// The slow tokenizer (HF <c>AlbertTokenizer</c>): special tokens written in the text, ALBERT's pre-processing,
/// SentencePiece normalisation and segmentation (Microsoft.ML.Tokenizers), and HF's digit-comma re-split.
/// </summary>
internal sealed class SentencePieceBackend : ITokenizerBackend
{
    private const string SentencePieceFileName = "spiece.model";
    private const int MaxCachedResplits = 1 << 14;

    [ThreadStatic]
    private static Scratch? t_scratch;

    private readonly SentencePieceEncoder _encoder;
    private readonly AlbertPreprocessor _preprocessor;
    private readonly SpecialTokenSplitter _splitter;
    private readonly string[] _pieces;
    private readonly HashSet<int> _specialIds;
    private readonly ConcurrentDictionary<string, (string[] Tokens, int[] Ids, bool Aligned)> _resplits = new(StringComparer.Ordinal);

    /// <summary>The slow tokenizer of a SentencePiece model.</summary>
    public SentencePieceBackend(SentencePieceModelFile file, AlbertTokenizerOptions options)
    {
        _encoder = new SentencePieceEncoder(file);
        _pieces = file.Pieces;
        SavedFile = (file.Bytes, SentencePieceFileName);
        _preprocessor = new AlbertPreprocessor(options.DoLowerCase, options.RemoveSpace, options.KeepAccents);
        Ids = new SpecialTokenIds(
            _encoder.PieceToId(options.PadToken), _encoder.PieceToId(options.UnknownToken), _encoder.PieceToId(options.ClsToken),
            _encoder.PieceToId(options.SepToken), _encoder.PieceToId(options.MaskToken));
        _specialIds = [Ids.Pad, Ids.Unknown, Ids.Cls, Ids.Sep, Ids.Mask];

        // HF AlbertTokenizer makes [MASK] an AddedToken(lstrip=True, rstrip=False); the others are plain
        // strings, whose neighbours HF strips on both sides.
        _splitter = new SpecialTokenSplitter(
            [
                new SpecialToken(options.ClsToken, Ids.Cls, true, true),
                new SpecialToken(options.SepToken, Ids.Sep, true, true),
                new SpecialToken(options.PadToken, Ids.Pad, true, true),
                new SpecialToken(options.UnknownToken, Ids.Unknown, true, true),
                new SpecialToken(options.MaskToken, Ids.Mask, true, false),
            ],
            options.DoLowerCase);
        Template = PostProcessorTemplate.Albert(Ids.Cls, options.ClsToken, Ids.Sep, options.SepToken);
    }

    public TokenizerKind Kind => TokenizerKind.Slow;

    public int VocabularySize => _pieces.Length;

    public SpecialTokenIds Ids { get; }

    public IReadOnlySet<int> SpecialIds => _specialIds;

    public PostProcessorTemplate Template { get; }

    public bool FastLongestFirst => false;

    public bool CleansUpByDefault => true;

    public (byte[] Bytes, string FileName) SavedFile { get; }

    public int TokenToId(string token) => _encoder.PieceToId(token);

    public string? IdToToken(int id) => (uint)id < (uint)_pieces.Length ? _pieces[id] : null;

    /// <summary>Pieces concatenated, <c>▁</c> → space, stripped.</summary>
    public string TokensToString(IEnumerable<string> tokens) =>
        PythonText.Strip(string.Concat(tokens).Replace(SentencePieceTextNormalizer.SpaceSymbol, ' '));

    /// <summary>Special tokens in the text, then each plain span through pre-processing, normalisation and segmentation.</summary>
    public void Tokenize(string text, TokenSequence output)
    {
        ArgumentNullException.ThrowIfNull(text);
        Scratch scratch = t_scratch ??= new Scratch();
        output.Clear();
        _splitter.Split(text, scratch.Segments);
        foreach (TextSegment segment in scratch.Segments)
        {
            if (segment.Special is { } special)
            {
                output.Add(special.Id, special.Text, segment.Start, segment.End);
                continue;
            }

            if (segment.Start == segment.End)
            {
                continue;
            }

            scratch.Preprocessed.Clear();
            _preprocessor.Process(text, segment.Start, segment.End, scratch.Preprocessed);
            scratch.Normalized.Clear();
            _encoder.Normalizer.Normalize(scratch.Preprocessed, scratch.Normalized);
            scratch.Pieces.Clear();
            _encoder.Encode(scratch.Normalized.Chars, scratch.Pieces);
            AddPieces(scratch.Normalized, scratch.Pieces, output);
        }

        Scratch.ReleaseIfLarge();
    }

    private void AddPieces(AlignedText normalized, List<SentencePiece> pieces, TokenSequence output)
    {
        foreach (SentencePiece piece in pieces)
        {
            ReadOnlySpan<char> surface = normalized.Chars.Slice(piece.Start, piece.Length);
            if (EndsWithDigitComma(surface))
            {
                AddResplit(normalized, piece, piece.Unknown ? surface.ToString() : _pieces[piece.Id], output);
                continue;
            }

            // HF converts each token string back to an id: an unknown run's text is (almost surely) not a piece.
            int id = piece.Unknown ? _encoder.PieceToId(surface) : piece.Id;
            if (output.IdsOnly)
            {
                output.Ids.Add(id);
                continue;
            }

            (int start, int end) = OriginalRange(normalized, piece.Start, piece.Length);
            output.Add(id, piece.Unknown ? surface.ToString() : _pieces[piece.Id], start, end);
        }
    }

    /// <summary>HF <c>_tokenize</c>'s test: longer than one char, ends with <c>,</c> preceded by a digit (<c>str.isdigit</c>).</summary>
    private static bool EndsWithDigitComma(ReadOnlySpan<char> piece)
    {
        if (piece.Length < 2 || piece[^1] != ',')
        {
            return false;
        }

        char before = piece[^2];
        if (before < 128)
        {
            return before is >= '0' and <= '9';
        }

        return Rune.DecodeLastFromUtf16(piece[..^1], out Rune rune, out _) == System.Buffers.OperationStatus.Done && PythonText.IsDigit(rune);
    }

    /// <summary>
    /// HF <c>AlbertTokenizer._tokenize</c>: a piece like <c>▁9,</c> is re-encoded without the comma and the
    /// <c>▁</c>; if the piece had no <c>▁</c>, the re-encoding's leading <c>▁</c> is dropped; then <c>,</c> follows.
    /// </summary>
    private void AddResplit(AlignedText normalized, SentencePiece piece, string token, TokenSequence output)
    {
        if (!_resplits.TryGetValue(token, out var resplit))
        {
            List<string> parts = _encoder.EncodeAsPieces(token[..^1].Replace(SentencePieceTextNormalizer.SpaceSymbol.ToString(), "", StringComparison.Ordinal));
            if (token[0] != SentencePieceTextNormalizer.SpaceSymbol && parts.Count > 0 && parts[0][0] == SentencePieceTextNormalizer.SpaceSymbol)
            {
                if (parts[0].Length == 1)
                {
                    parts.RemoveAt(0);
                }
                else
                {
                    parts[0] = parts[0][1..];
                }
            }

            parts.Add(token[^1..]);
            string[] tokens = [.. parts.Select(p => _encoder.FindId(p) is int known and >= 0 ? _pieces[known] : p)];
            resplit = (tokens, [.. tokens.Select(_encoder.PieceToId)], string.Concat(tokens) == token);
            if (_resplits.Count < MaxCachedResplits)
            {
                _resplits.TryAdd(token, resplit);
            }
        }

        int at = piece.Start;
        for (int k = 0; k < resplit.Tokens.Length; k++)
        {
            // When the re-encoding reproduces the piece's text, each part maps to its own chars; otherwise to the whole piece.
            (int start, int end) = resplit.Aligned
                ? OriginalRange(normalized, at, resplit.Tokens[k].Length)
                : OriginalRange(normalized, piece.Start, piece.Length);
            at += resplit.Tokens[k].Length;
            output.Add(resplit.Ids[k], resplit.Tokens[k], start, end);
        }
    }

    /// <summary>
    /// The original range of normalised chars <c>[start, start + length)</c>, leaving out <c>▁</c>; a run of
    /// only <c>▁</c> gets the empty range where the next real char begins.
    /// </summary>
    private static (int Start, int End) OriginalRange(AlignedText normalized, int start, int length)
    {
        ReadOnlySpan<char> chars = normalized.Chars;
        ReadOnlySpan<int> starts = normalized.Starts, ends = normalized.Ends;
        int first = int.MaxValue, last = -1;
        for (int k = start; k < start + length; k++)
        {
            if (chars[k] == SentencePieceTextNormalizer.SpaceSymbol)
            {
                continue;
            }

            first = Math.Min(first, starts[k]);
            last = Math.Max(last, ends[k]);
        }

        if (last >= 0)
        {
            return (first, last);
        }

        for (int k = start + length; k < chars.Length; k++)
        {
            if (chars[k] != SentencePieceTextNormalizer.SpaceSymbol)
            {
                return (starts[k], starts[k]);
            }
        }

        int end = length > 0 ? ends[start + length - 1] : 0;
        return (end, end);
    }

    /// <summary>Per-thread buffers, so a call allocates little beyond its result.</summary>
    private sealed class Scratch
    {
        private const int LargeCapacity = 1 << 16;

        /// <summary>Drops this thread's buffers after a huge text, so they do not hold its memory for good.</summary>
        public static void ReleaseIfLarge()
        {
            Scratch? scratch = t_scratch;
            if (scratch is not null && (scratch.Preprocessed.Capacity > LargeCapacity || scratch.Normalized.Capacity > LargeCapacity
                || scratch.Pieces.Capacity > LargeCapacity))
            {
                t_scratch = null;
            }
        }

        public AlignedText Preprocessed { get; } = new();

        public AlignedText Normalized { get; } = new();

        public List<SentencePiece> Pieces { get; } = [];

        public List<TextSegment> Segments { get; } = [];
    }
}
