using AlbertGen.Tokenization.Fast;

namespace AlbertGen.Tokenization;

/// <summary>
/// ALBERT's tokenizer, as either of HuggingFace's behaves (<see cref="Kind"/>). Slow, <c>AlbertTokenizer</c>:
/// pre-processing, special tokens written in the text, SentencePiece segmentation (Microsoft.ML.Tokenizers), the
/// digit-comma re-split. Fast, <c>AlbertTokenizerFast</c>: the <c>tokenizers</c> pipeline of a <c>tokenizer.json</c> (or of
/// <c>spiece.model</c> converted as HF's <c>AlbertConverter</c> does). Both: <c>[CLS] A [SEP] B [SEP]</c>, truncation,
/// padding, decoding, and offsets into the original text. <see cref="FromDirectory"/> chooses as <c>AutoTokenizer</c> does.
/// Instances are immutable and thread-safe.
/// </summary>
/// <remarks>
/// Text is never rejected: a lone surrogate becomes a U+FFFD token (as SentencePiece treats malformed UTF-8), control characters follow the model's normaliser,
/// and characters outside the vocabulary become one unknown token per run, whose token string is the run.
/// <para>
/// Thread safety: every member may be called from any number of threads at once, and gives the same result as a serial
/// call (tested from 8 threads on a cold instance). The segmentation and digit-comma caches are concurrent and bounded
/// (hostile text cannot grow them without limit); scratch buffers are per thread. <see cref="EncodeBatch(IReadOnlyList{string}, AlbertEncodeOptions?)"/>
/// itself runs on the thread pool. No member changes process-wide state.
/// </para>
/// </remarks>
public sealed class AlbertTokenizer
{
    /// <summary>The classification token, <c>[CLS]</c>.</summary>
    public const string ClsToken = "[CLS]";

    /// <summary>The separator token, <c>[SEP]</c>.</summary>
    public const string SepToken = "[SEP]";

    /// <summary>The mask token, <c>[MASK]</c>.</summary>
    public const string MaskToken = "[MASK]";

    /// <summary>The padding token, <c>&lt;pad&gt;</c>.</summary>
    public const string PadToken = "<pad>";

    /// <summary>The unknown token, <c>&lt;unk&gt;</c>.</summary>
    public const string UnknownToken = "<unk>";

    private const int DefaultMaxLength = 512;
    private const string SentencePieceFileName = "spiece.model";
    private const string TokenizerJsonFileName = "tokenizer.json";

    [ThreadStatic]
    private static Scratch? t_scratch;

    private readonly ITokenizerBackend _backend;
    private readonly EncodingBuilder _builder;
    private readonly bool _cleanUp;

    private AlbertTokenizer(ITokenizerBackend backend, AlbertTokenizerOptions options)
    {
        (Options, MaxLength) = (options, CheckMaxLength(options));
        _backend = backend;
        _cleanUp = options.CleanUpTokenizationSpaces ?? backend.CleansUpByDefault;
        _builder = new EncodingBuilder(backend.Template, backend.Ids.Pad, options.PadToken, backend.FastLongestFirst);
    }

    /// <summary>Which of HuggingFace's tokenizers this one reproduces (never <see cref="TokenizerKind.Auto"/>).</summary>
    public TokenizerKind Kind => _backend.Kind;

    /// <summary>The settings this tokenizer was created with.</summary>
    public AlbertTokenizerOptions Options { get; }

    /// <summary>Default maximum length (special tokens included) for truncation and max-length padding.</summary>
    public int MaxLength { get; }

    /// <summary>Number of ids (the model's <c>vocab_size</c>).</summary>
    public int VocabularySize => _backend.VocabularySize;

    /// <summary>Id of <c>&lt;pad&gt;</c>.</summary>
    public int PadTokenId => _backend.Ids.Pad;

    /// <summary>Id of <c>&lt;unk&gt;</c>.</summary>
    public int UnknownTokenId => _backend.Ids.Unknown;

    /// <summary>Id of <c>[CLS]</c>.</summary>
    public int ClsTokenId => _backend.Ids.Cls;

    /// <summary>Id of <c>[SEP]</c>.</summary>
    public int SepTokenId => _backend.Ids.Sep;

    /// <summary>Id of <c>[MASK]</c>.</summary>
    public int MaskTokenId => _backend.Ids.Mask;

    /// <summary>
    /// Loads a tokenizer file: a SentencePiece model (<c>spiece.model</c>) or a HuggingFace <c>tokenizer.json</c> (a name
    /// ending in <c>.json</c>). <see cref="AlbertTokenizerOptions.Kind"/> chooses the tokenizer: by default slow for
    /// <c>spiece.model</c> and fast for <c>tokenizer.json</c>; fast on <c>spiece.model</c> converts it as HuggingFace does.
    /// </summary>
    /// <param name="modelPath">Path of the file.</param>
    /// <param name="options">Settings; null = HuggingFace's defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="modelPath"/> is null.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a usable tokenizer, or a slow tokenizer was asked of a <c>tokenizer.json</c>; the message names the file (and field) and says why.</exception>
    public static AlbertTokenizer FromFile(string modelPath, AlbertTokenizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"Tokenizer file '{modelPath}' not found.", modelPath);
        }

        return FromBytes(File.ReadAllBytes(modelPath), options ?? new(), modelPath, modelPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Loads a tokenizer from a stream (read to its end, not disposed): a <c>tokenizer.json</c> when its first non-blank
    /// byte is <c>{</c>, else a SentencePiece model; the kind as in <see cref="FromFile"/>.
    /// </summary>
    /// <param name="modelStream">The file's bytes.</param>
    /// <param name="options">Settings; null = HuggingFace's defaults.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <exception cref="ArgumentNullException"><paramref name="modelStream"/> or <paramref name="sourceName"/> is null.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a usable tokenizer.</exception>
    public static AlbertTokenizer FromStream(Stream modelStream, AlbertTokenizerOptions? options = null, string sourceName = "stream")
    {
        ArgumentNullException.ThrowIfNull(modelStream);
        ArgumentNullException.ThrowIfNull(sourceName);
        using var copy = new MemoryStream();
        modelStream.CopyTo(copy);
        byte[] bytes = copy.ToArray();
        // A SentencePiece model starts with a protobuf tag, never '{' (0x7B would be field 15 as a group, which it has not).
        int first = bytes.AsSpan().IndexOfAnyExcept(" \t\r\n"u8);
        return FromBytes(bytes, options ?? new(), sourceName, isTokenizerJson: first >= 0 && bytes[first] == (byte)'{');
    }

    /// <summary>
    /// Loads the tokenizer of a HuggingFace model folder as <c>AutoTokenizer.from_pretrained</c> does: <c>tokenizer.json</c>
    /// (fast) if the folder has one, else <c>spiece.model</c> (slow), with the settings and special tokens of
    /// <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>.
    /// </summary>
    /// <param name="directory">The folder.</param>
    /// <param name="kind">Which tokenizer: <see cref="TokenizerKind.Auto"/> as above; <see cref="TokenizerKind.Fast"/> from
    /// <c>tokenizer.json</c>, or from <c>spiece.model</c> converted as HuggingFace's <c>AlbertConverter</c> does;
    /// <see cref="TokenizerKind.Slow"/> from <c>spiece.model</c>.</param>
    /// <param name="maxLength">Overrides the files' <c>model_max_length</c> (e.g. the config's <c>max_position_embeddings</c>); null = the files' value, else 512.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="FileNotFoundException">The folder lacks the file the chosen tokenizer needs.</exception>
    /// <exception cref="InvalidDataException">A file is not usable; the message names it (and the field) and says why.</exception>
    public static AlbertTokenizer FromDirectory(string directory, TokenizerKind kind = TokenizerKind.Auto, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Tokenizer folder '{directory}' not found.");
        }

        AlbertTokenizerOptions options = TokenizerConfigFiles.Apply(directory, new AlbertTokenizerOptions { Kind = kind });
        if (maxLength is not null)
        {
            options = options with { MaxLength = maxLength };
        }

        string json = Path.Combine(directory, TokenizerJsonFileName);
        string spiece = Path.Combine(directory, SentencePieceFileName);
        bool useJson = kind != TokenizerKind.Slow && File.Exists(json);
        string path = useJson ? json : spiece;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                kind == TokenizerKind.Slow
                    ? $"{directory} has no {SentencePieceFileName}, which the slow tokenizer needs{(File.Exists(json) ? $" (it has {TokenizerJsonFileName}: use the fast tokenizer)" : "")}."
                    : $"{directory} has no tokenizer: neither {TokenizerJsonFileName} nor {SentencePieceFileName}.",
                path);
        }

        return FromBytes(File.ReadAllBytes(path), options, path, useJson);
    }

    private static AlbertTokenizer FromBytes(byte[] bytes, AlbertTokenizerOptions options, string source, bool isTokenizerJson)
    {
        if (isTokenizerJson)
        {
            if (options.Kind == TokenizerKind.Slow)
            {
                throw new InvalidDataException(
                    $"'{source}' is a tokenizer.json, which only the fast tokenizer reads; the slow one needs the model's {SentencePieceFileName}.");
            }

            return new AlbertTokenizer(new TokenizerJsonBackend(TokenizerJsonReader.Read(bytes, source), options, bytes, TokenizerJsonFileName, source), options);
        }

        SentencePieceModelFile file = SentencePieceModelFile.Parse(bytes, source);
        ITokenizerBackend backend = options.Kind == TokenizerKind.Fast
            ? new TokenizerJsonBackend(AlbertConverter.Convert(file, options), options, bytes, SentencePieceFileName, source)
            : new SentencePieceBackend(file, options);
        return new AlbertTokenizer(backend, options);
    }

    private static int CheckMaxLength(AlbertTokenizerOptions options)
    {
        int maxLength = options.MaxLength ?? DefaultMaxLength;
        if (maxLength <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxLength, "MaxLength must be positive.");
        }

        return maxLength;
    }

    /// <summary>The token strings of a text, without special tokens added (HF <c>tokenize</c>).</summary>
    /// <param name="text">Any text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public IReadOnlyList<string> Tokenize(string text)
    {
        Scratch scratch = t_scratch ??= new Scratch();
        string[] tokens = [.. Tokens(text, scratch.First).Tokens];
        Scratch.ReleaseIfLarge();
        return tokens;
    }

    /// <summary>The ids of a text (HF <c>encode</c>): <c>[CLS] A [SEP]</c> (the tokenizer's template) unless <paramref name="addSpecialTokens"/> is false.</summary>
    /// <param name="text">Any text.</param>
    /// <param name="addSpecialTokens">Whether to add the template's special tokens (<c>[CLS]</c> and <c>[SEP]</c>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public int[] EncodeToIds(string text, bool addSpecialTokens = true)
    {
        Scratch scratch = t_scratch ??= new Scratch();
        TokenSequence sequence = Tokens(text, scratch.Ids);
        int[] ids = _builder.SingleIds(sequence.Ids, addSpecialTokens);
        Scratch.ReleaseIfLarge();
        return ids;
    }

    /// <summary>Encodes one text (HF <c>__call__</c> / <c>encode_plus</c>).</summary>
    /// <param name="text">Any text.</param>
    /// <param name="options">Truncation, padding and special tokens; null = <see cref="AlbertEncodeOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException">The truncation settings cannot be met (see <see cref="AlbertEncodeOptions"/>).</exception>
    public AlbertEncoding Encode(string text, AlbertEncodeOptions? options = null) => Encode(text, null, options);

    /// <summary>Encodes a text, or a pair as <c>[CLS] A [SEP] B [SEP]</c>.</summary>
    /// <param name="text">First text.</param>
    /// <param name="textPair">Second text, or null.</param>
    /// <param name="options">Truncation, padding and special tokens; null = <see cref="AlbertEncodeOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException">The truncation settings cannot be met (see <see cref="AlbertEncodeOptions"/>).</exception>
    public AlbertEncoding Encode(string text, string? textPair, AlbertEncodeOptions? options = null)
    {
        options ??= AlbertEncodeOptions.Default;
        int maxLength = ResolveMaxLength(options);
        AlbertEncoding main = EncodeUnpadded(text, textPair, options, maxLength);
        if (options.Padding == PaddingStrategy.None)
        {
            return main;
        }

        AlbertEncoding[] rows = [main, .. main.Overflowing];
        _builder.PadRows(rows, options, maxLength);
        rows[0].Overflowing = rows[1..];
        return rows[0];
    }

    /// <summary>Encodes texts in parallel; the result does not depend on the number of threads.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="options">Truncation, padding and special tokens; null = <see cref="AlbertEncodeOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="texts"/> or one of its texts is null.</exception>
    /// <exception cref="ArgumentException">The truncation settings cannot be met for some text.</exception>
    public AlbertBatchEncoding EncodeBatch(IReadOnlyList<string> texts, AlbertEncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return EncodeBatch(texts.Count, i => (texts[i], null), options);
    }

    /// <summary>Encodes text pairs in parallel; the result does not depend on the number of threads.</summary>
    /// <param name="pairs">The inputs; a null <c>TextPair</c> encodes the text alone.</param>
    /// <param name="options">Truncation, padding and special tokens; null = <see cref="AlbertEncodeOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="pairs"/> or one of its first texts is null.</exception>
    /// <exception cref="ArgumentException">The truncation settings cannot be met for some input.</exception>
    public AlbertBatchEncoding EncodeBatch(IReadOnlyList<(string Text, string? TextPair)> pairs, AlbertEncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return EncodeBatch(pairs.Count, i => pairs[i], options);
    }

    /// <summary>
    /// Turns ids back into text (HF <c>decode</c>). Slow: pieces joined, <c>▁</c> → space, stripped. Fast: the
    /// <c>tokenizer.json</c> decoders (for ALBERT: <c>▁</c> → space, none in the first token). Then, if asked, HF's
    /// <c>clean_up_tokenization</c>.
    /// </summary>
    /// <param name="ids">Vocabulary ids.</param>
    /// <param name="skipSpecialTokens">Drop the special tokens (<c>&lt;pad&gt; &lt;unk&gt; [CLS] [SEP] [MASK]</c>).</param>
    /// <param name="cleanUpTokenizationSpaces">Remove the spaces HF's clean-up removes (<c>" ."</c> → <c>"."</c>, <c>" n't"</c> → <c>"n't"</c>, ...); null = <see cref="AlbertTokenizerOptions.CleanUpTokenizationSpaces"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false, bool? cleanUpTokenizationSpaces = null)
    {
        string text = ConvertTokensToString(ConvertIdsToTokens(ids, skipSpecialTokens));
        return (cleanUpTokenizationSpaces ?? _cleanUp) ? CleanUpTokenization(text) : text;
    }

    /// <summary>Joins tokens into text (HF <c>convert_tokens_to_string</c>): slow: concatenated, <c>▁</c> → space, stripped; fast: the decoders.</summary>
    /// <param name="tokens">Token strings.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    public string ConvertTokensToString(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return _backend.TokensToString(tokens);
    }

    /// <summary>The id of a token string; the unknown id if it is not in the vocabulary.</summary>
    /// <param name="token">A token string.</param>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
    public int ConvertTokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _backend.TokenToId(token);
    }

    /// <summary>The ids of token strings (unknown id for strings not in the vocabulary).</summary>
    /// <param name="tokens">Token strings.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    public int[] ConvertTokensToIds(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return tokens.Select(ConvertTokenToId).ToArray();
    }

    /// <summary>The token string of an id.</summary>
    /// <param name="id">A vocabulary id.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public string ConvertIdToToken(int id)
    {
        return _backend.IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(id), id, $"Ids run from 0 to {VocabularySize - 1}.");
    }

    /// <summary>The token strings of ids, optionally without special tokens (HF <c>convert_ids_to_tokens</c>).</summary>
    /// <param name="ids">Vocabulary ids.</param>
    /// <param name="skipSpecialTokens">Drop <c>&lt;pad&gt; &lt;unk&gt; [CLS] [SEP] [MASK]</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string[] ConvertIdsToTokens(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return ids.Where(id => !skipSpecialTokens || !_backend.SpecialIds.Contains(id)).Select(ConvertIdToToken).ToArray();
    }

    /// <summary>Whether an id is one of the special tokens <c>&lt;pad&gt; &lt;unk&gt; [CLS] [SEP] [MASK]</c>.</summary>
    /// <param name="id">A vocabulary id.</param>
    public bool IsSpecialTokenId(int id) => _backend.SpecialIds.Contains(id);

    /// <summary>
    /// Writes the file this tokenizer was loaded from, unchanged, into a directory (created if missing): as
    /// <c>spiece.model</c>, or as <c>tokenizer.json</c> for a fast tokenizer read from one. The file is written under a
    /// temporary name and renamed, so a failure leaves no partial file.
    /// </summary>
    /// <param name="directory">Target directory.</param>
    /// <returns>The path of the written file.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    public string SaveVocabulary(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        (byte[] bytes, string fileName) = _backend.SavedFile;
        string path = Path.Combine(directory, fileName);
        AtomicFile.Write(path, temporary => File.WriteAllBytes(temporary, bytes));

        return path;
    }

    /// <summary>HF <c>clean_up_tokenization</c>: the listed replacements, in order.</summary>
    internal static string CleanUpTokenization(string text) => text
        .Replace(" .", ".", StringComparison.Ordinal)
        .Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal)
        .Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal)
        .Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal)
        .Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal)
        .Replace(" 're", "'re", StringComparison.Ordinal);

    private int ResolveMaxLength(AlbertEncodeOptions options)
    {
        int maxLength = options.MaxLength ?? MaxLength;
        if (maxLength <= 0)
        {
            throw new ArgumentException($"MaxLength must be positive, not {maxLength}.", nameof(options));
        }

        return maxLength;
    }

    private AlbertBatchEncoding EncodeBatch(int count, Func<int, (string Text, string? TextPair)> input, AlbertEncodeOptions? options)
    {
        options ??= AlbertEncodeOptions.Default;
        int maxLength = ResolveMaxLength(options);
        for (int i = 0; i < count; i++)
        {
            if (input(i).Text is null)
            {
                throw new ArgumentNullException(nameof(input), $"Text {i} of the batch is null.");
            }
        }

        var encoded = new AlbertEncoding[count];
        var chunks = System.Collections.Concurrent.Partitioner.Create(0, count, Math.Max(1, count / (Environment.ProcessorCount * 8)));
        Parallel.ForEach(chunks, range =>
        {
            for (int i = range.Item1; i < range.Item2; i++)
            {
                (string text, string? pair) = input(i);
                encoded[i] = EncodeUnpadded(text, pair, options, maxLength);
            }
        });

        var rows = new List<AlbertEncoding>(count);
        var samples = new List<int>(count);
        for (int i = 0; i < count; i++)
        {
            IReadOnlyList<AlbertEncoding> overflow = encoded[i].Overflowing;
            encoded[i].Overflowing = [];
            rows.Add(encoded[i]);
            samples.Add(i);
            foreach (AlbertEncoding window in overflow)
            {
                rows.Add(window);
                samples.Add(i);
            }
        }

        AlbertEncoding[] padded = [.. rows];
        _builder.PadRows(padded, options, maxLength);
        return new AlbertBatchEncoding(padded, [.. samples]);
    }

    private AlbertEncoding EncodeUnpadded(string text, string? textPair, AlbertEncodeOptions options, int maxLength)
    {
        // The builder copies the tokens into the encoding, so the sequences can be per-thread buffers.
        Scratch scratch = t_scratch ??= new Scratch();
        TokenSequence first = Tokens(text, scratch.First);
        TokenSequence? second = textPair is null ? null : Tokens(textPair, scratch.Second);
        AlbertEncoding encoding = _builder.Build(first, second, options, maxLength);
        Scratch.ReleaseIfLarge();
        return encoding;
    }

    /// <summary>Tokenises one text, without the template's special tokens.</summary>
    private TokenSequence Tokens(string text, TokenSequence output)
    {
        _backend.Tokenize(text, output);
        return output;
    }

    /// <summary>Per-thread token buffers, so a call allocates little beyond its result.</summary>
    private sealed class Scratch
    {
        private const int LargeCapacity = 1 << 16;

        /// <summary>Drops this thread's buffers after a huge text, so they do not hold its memory for good.</summary>
        public static void ReleaseIfLarge()
        {
            Scratch? scratch = t_scratch;
            if (scratch is not null && (scratch.First.Ids.Capacity > LargeCapacity || scratch.Second.Ids.Capacity > LargeCapacity
                || scratch.Ids.Ids.Capacity > LargeCapacity))
            {
                t_scratch = null;
            }
        }

        public TokenSequence Ids { get; } = new(idsOnly: true, 256);

        public TokenSequence First { get; } = new(idsOnly: false, 256);

        public TokenSequence Second { get; } = new(idsOnly: false, 256);
    }
}
