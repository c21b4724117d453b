namespace AlbertGen.Tokenization.Fast;

/// <summary>
/// A HuggingFace <c>tokenizers</c> pipeline of the SentencePiece (Unigram) shape, as <c>tokenizer.json</c> describes it
/// (or as HF's <c>AlbertConverter</c> builds it from <c>spiece.model</c>): added tokens split out of the raw text,
/// normalisers, added tokens split out of the normalised text, pre-tokenizers, the Unigram model, the template and the
/// decoders. Offsets follow HF's alignment rules, into the original text. Immutable and thread-safe.
/// </summary>
internal sealed class FastTokenizerPipeline
{
    [ThreadStatic]
    private static Scratch? t_scratch;

    private readonly NormalizerStep[] _normalizers;
    private readonly PreTokenizerStep[] _preTokenizers;
    private readonly DecoderStep[] _decoders;
    private readonly AddedTokenMatcher _rawMatcher;
    private readonly AddedTokenMatcher _normalizedMatcher;
    private readonly Dictionary<string, AddedToken> _addedByContent = new(StringComparer.Ordinal);
    private readonly Dictionary<int, AddedToken> _addedById = [];

    public FastTokenizerPipeline(
        UnigramModel model, IReadOnlyList<AddedToken> addedTokens, NormalizerStep[] normalizers, PreTokenizerStep[] preTokenizers,
        PostProcessorTemplate template, DecoderStep[] decoders)
    {
        Model = model;
        _normalizers = normalizers;
        _preTokenizers = preTokenizers;
        Template = template;
        _decoders = decoders;
        foreach (AddedToken token in addedTokens)
        {
            _addedByContent[token.Content] = token;
            _addedById[token.Id] = token;
        }

        AddedTokens = [.. addedTokens];
        _rawMatcher = new AddedTokenMatcher(addedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        _normalizedMatcher = new AddedTokenMatcher(addedTokens.Where(t => t.Normalized).Select(t => (Normalize(t.Content), t)));
        VocabularySize = Math.Max(model.Pieces.Length, addedTokens.Count == 0 ? 0 : addedTokens.Max(t => t.Id) + 1);
    }

    public UnigramModel Model { get; }

    public PostProcessorTemplate Template { get; }

    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>Number of ids: the model's pieces and the added tokens beyond them.</summary>
    public int VocabularySize { get; }

    /// <summary>HF <c>token_to_id</c>: an added token's id, else the model's, else null.</summary>
    public int? TokenToId(string token) => _addedByContent.TryGetValue(token, out AddedToken? added) ? added.Id : Model.TokenToId(token);

    /// <summary>HF <c>id_to_token</c>: an added token's content, else the model's piece, else null.</summary>
    public string? IdToToken(int id) =>
        _addedById.TryGetValue(id, out AddedToken? added) ? added.Content : (uint)id < (uint)Model.Pieces.Length ? Model.Pieces[id] : null;

    /// <summary>Whether the token of an id is a special added token.</summary>
    public bool IsSpecial(int id) => IdToToken(id) is { } token && _addedByContent.TryGetValue(token, out AddedToken? added) && added.Special;

    /// <summary>HF <c>decode</c> of token strings: the decoders' chain, joined.</summary>
    public string Decode(IEnumerable<string> tokens)
    {
        var list = tokens.ToList();
        foreach (DecoderStep decoder in _decoders)
        {
            decoder.DecodeChain(list);
        }

        return string.Concat(list);
    }

    /// <summary>The normaliser alone, on plain text.</summary>
    public string Normalize(string text)
    {
        var input = new AlignedText();
        AppendOriginal(text, 0, text.Length, input);
        return Normalize(input, new AlignedText()).Chars.ToString();
    }

    /// <summary>Tokenises one text (no template) into <paramref name="output"/> (cleared first).</summary>
    public void Tokenize(string text, TokenSequence output)
    {
        ArgumentNullException.ThrowIfNull(text);
        output.Clear();
        Scratch scratch = t_scratch ??= new Scratch();
        List<AddedTokenSplit> raw = scratch.RawSplits;
        _rawMatcher.Split(text, raw);
        foreach (AddedTokenSplit split in raw)
        {
            if (split.Token is { } token)
            {
                output.Add(token.Id, text[split.Start..split.End], split.Start, split.End);
                continue;
            }

            scratch.Original.Clear();
            AppendOriginal(text, split.Start, split.End, scratch.Original);
            AlignedText normalized = Normalize(scratch.Original, scratch.Other);
            if (_normalizedMatcher.IsEmpty)
            {
                AddWords(normalized, 0, normalized.Length, output, scratch);
                continue;
            }

            List<AddedTokenSplit> inner = scratch.NormalizedSplits;
            _normalizedMatcher.Split(normalized.Chars, inner);
            foreach (AddedTokenSplit piece in inner)
            {
                if (piece.Token is { } added)
                {
                    output.Add(added.Id, normalized.Chars[piece.Start..piece.End].ToString(), normalized.Starts[piece.Start], normalized.Ends[piece.End - 1]);
                }
                else
                {
                    AddWords(normalized, piece.Start, piece.End, output, scratch);
                }
            }
        }

        if (scratch.Original.Capacity > 1 << 16 || scratch.Other.Capacity > 1 << 16)
        {
            t_scratch = null; // do not keep a huge text's buffers for good
        }
    }

    /// <summary>The raw text with one range per char; a surrogate pair's chars share the pair's range, a lone surrogate becomes U+FFFD.</summary>
    private static void AppendOriginal(string text, int start, int end, AlignedText output)
    {
        int surrogate = text.AsSpan(start, end - start).IndexOfAnyInRange('\uD800', '\uDFFF');
        if (surrogate < 0)
        {
            output.AppendOriginal(text.AsSpan(start, end - start), start);
            return;
        }

        output.AppendOriginal(text.AsSpan(start, surrogate), start);
        for (int i = start + surrogate; i < end; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c))
            {
                output.Append(c, i, i + 1);
            }
            else if (char.IsHighSurrogate(c) && i + 1 < end && char.IsLowSurrogate(text[i + 1]))
            {
                output.Append(text.AsSpan(i, 2), i, i + 2);
                i++;
            }
            else
            {
                output.Append('\uFFFD', i, i + 1);
            }
        }
    }

    /// <summary>Runs the normalisers, alternating between the two buffers; returns the one holding the result.</summary>
    private AlignedText Normalize(AlignedText text, AlignedText spare)
    {
        foreach (NormalizerStep step in _normalizers)
        {
            spare.Clear();
            step.Apply(text, spare);
            (text, spare) = (spare, text);
        }

        return text;
    }

    /// <summary>Pre-tokenises <c>normalized[start..end)</c> and runs the model on each word.</summary>
    private void AddWords(AlignedText normalized, int start, int end, TokenSequence output, Scratch scratch)
    {
        if (start == end)
        {
            return;
        }

        List<WordRange> words = scratch.Words;
        words.Clear();
        words.Add(new WordRange(start, end));
        AlignedText text = normalized;
        int buffer = 0;
        foreach (PreTokenizerStep step in _preTokenizers)
        {
            AlignedText next = scratch.PreTokenized[buffer];
            buffer ^= 1;
            next.Clear();
            scratch.NextWords.Clear();
            step.Apply(text, words, next, scratch.NextWords);
            (words, scratch.NextWords) = (scratch.NextWords, words);
            scratch.Words = words;
            text = next;
        }

        ReadOnlySpan<char> chars = text.Chars;
        List<WordToken> tokens = scratch.Tokens;
        foreach (WordRange word in words)
        {
            if (word.Start == word.End)
            {
                continue;
            }

            tokens.Clear();
            Model.Tokenize(chars[word.Start..word.End], tokens);
            foreach (WordToken token in tokens)
            {
                int first = word.Start + token.Start, last = first + token.Length - 1;
                string value = token.Id == Model.UnknownId ? chars.Slice(first, token.Length).ToString() : Model.Pieces[token.Id];
                output.Add(token.Id, value, text.Starts[first], text.Ends[last]);
            }
        }
    }

    /// <summary>Per-thread buffers, so a call allocates little beyond its result.</summary>
    private sealed class Scratch
    {
        public AlignedText Original { get; } = new();

        public AlignedText Other { get; } = new();

        public AlignedText[] PreTokenized { get; } = [new(), new()];

        public List<AddedTokenSplit> RawSplits { get; } = [];

        public List<AddedTokenSplit> NormalizedSplits { get; } = [];

        public List<WordRange> Words { get; set; } = [];

        public List<WordRange> NextWords { get; set; } = [];

        public List<WordToken> Tokens { get; } = [];
    }
}
