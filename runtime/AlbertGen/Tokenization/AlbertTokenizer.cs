using System.Collections.Concurrent;
using System.Text;
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
    private const int MaxCachedResplits = 1 << 14;

    [ThreadStatic]
    private static Scratch? t_scratch;

    private readonly SentencePieceEncoder? _encoder;
    private readonly FastTokenizerPipeline? _fast;
    private readonly AlbertPreprocessor? _preprocessor;
    private readonly SpecialTokenSplitter? _splitter;
    private readonly EncodingBuilder _builder;
    private readonly string[] _pieces;
    private readonly HashSet<int> _specialIds;
    private readonly byte[] _savedBytes;
    private readonly string _savedFileName;
    private readonly bool _cleanUp;
    private readonly ConcurrentDictionary<string, (string[] Tokens, int[] Ids, bool Aligned)> _resplits = new(StringComparer.Ordinal);

    /// <summary>The slow tokenizer of a SentencePiece model.</summary>
    private AlbertTokenizer(SentencePieceModelFile file, AlbertTokenizerOptions options)
    {
        (Options, MaxLength) = (options, CheckMaxLength(options));
        Kind = TokenizerKind.Slow;
        _encoder = new SentencePieceEncoder(file);
        _pieces = file.Pieces;
        (_savedBytes, _savedFileName) = (file.Bytes, SentencePieceFileName);
        _cleanUp = options.CleanUpTokenizationSpaces ?? true;
        _preprocessor = new AlbertPreprocessor(options.DoLowerCase, options.RemoveSpace, options.KeepAccents);
        PadTokenId = _encoder.PieceToId(options.PadToken);
        UnknownTokenId = _encoder.PieceToId(options.UnknownToken);
        ClsTokenId = _encoder.PieceToId(options.ClsToken);
        SepTokenId = _encoder.PieceToId(options.SepToken);
        MaskTokenId = _encoder.PieceToId(options.MaskToken);
        _specialIds = [PadTokenId, UnknownTokenId, ClsTokenId, SepTokenId, MaskTokenId];

        // HF AlbertTokenizer makes [MASK] an AddedToken(lstrip=True, rstrip=False); the others are plain
        // strings, whose neighbours HF strips on both sides.
        _splitter = new SpecialTokenSplitter(
            [
                new SpecialToken(options.ClsToken, ClsTokenId, true, true),
                new SpecialToken(options.SepToken, SepTokenId, true, true),
                new SpecialToken(options.PadToken, PadTokenId, true, true),
                new SpecialToken(options.UnknownToken, UnknownTokenId, true, true),
                new SpecialToken(options.MaskToken, MaskTokenId, true, false),
            ],
            options.DoLowerCase);
        _builder = new EncodingBuilder(
            PostProcessorTemplate.Albert(ClsTokenId, options.ClsToken, SepTokenId, options.SepToken), PadTokenId, options.PadToken, fastLongestFirst: false);
    }

    /// <summary>The fast tokenizer of a <c>tokenizers</c> pipeline (read from <c>tokenizer.json</c> or converted from <c>spiece.model</c>).</summary>
    private AlbertTokenizer(FastTokenizerPipeline fast, AlbertTokenizerOptions options, byte[] savedBytes, string savedFileName, string source)
    {
        (Options, MaxLength) = (options, CheckMaxLength(options));
        Kind = TokenizerKind.Fast;
        _fast = fast;
        _pieces = fast.Model.Pieces;
        (_savedBytes, _savedFileName) = (savedBytes, savedFileName);
        _cleanUp = options.CleanUpTokenizationSpaces ?? false;
        int Id(string token, string name) => fast.TokenToId(token)
            ?? throw new InvalidDataException($"'{source}' has no id for the {name} '{token}'.");
        PadTokenId = Id(options.PadToken, "pad_token");
        UnknownTokenId = fast.Model.UnknownId;
        ClsTokenId = Id(options.ClsToken, "cls_token");
        SepTokenId = Id(options.SepToken, "sep_token");
        MaskTokenId = Id(options.MaskToken, "mask_token");
        _specialIds = [.. fast.AddedTokens.Where(t => t.Special).Select(t => t.Id)];
        _builder = new EncodingBuilder(fast.Template, PadTokenId, options.PadToken, fastLongestFirst: true);
    }

    /// <summary>Which of HuggingFace's tokenizers this one reproduces (never <see cref="TokenizerKind.Auto"/>).</summary>
    public TokenizerKind Kind { get; }

    /// <summary>The settings this tokenizer was created with.</summary>
    public AlbertTokenizerOptions Options { get; }

    /// <summary>Default maximum length (special tokens included) for truncation and max-length padding.</summary>
    public int MaxLength { get; }

    /// <summary>Number of ids (the model's <c>vocab_size</c>).</summary>
    public int VocabularySize => _fast?.VocabularySize ?? _pieces.Length;

    /// <summary>Id of <c>&lt;pad&gt;</c>.</summary>
    public int PadTokenId { get; }

    /// <summary>Id of <c>&lt;unk&gt;</c>.</summary>
    public int UnknownTokenId { get; }

    /// <summary>Id of <c>[CLS]</c>.</summary>
    public int ClsTokenId { get; }

    /// <summary>Id of <c>[SEP]</c>.</summary>
    public int SepTokenId { get; }

    /// <summary>Id of <c>[MASK]</c>.</summary>
    public int MaskTokenId { get; }

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

            return new AlbertTokenizer(TokenizerJsonReader.Read(bytes, source), options, bytes, TokenizerJsonFileName, source);
        }

        SentencePieceModelFile file = SentencePieceModelFile.Parse(bytes, source);
        return options.Kind == TokenizerKind.Fast
            ? new AlbertTokenizer(AlbertConverter.Convert(file, options), options, bytes, SentencePieceFileName, source)
            : new AlbertTokenizer(file, options);
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
        string[] tokens = [.. Tokens(text, scratch.First, scratch).Tokens];
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
        TokenSequence sequence = Tokens(text, scratch.Ids, scratch);
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
        ArgumentNullException.ThrowIfNull(ids);
        bool cleanUp = cleanUpTokenizationSpaces ?? _cleanUp;
        if (_fast is not null)
        {
            string fast = _fast.Decode(ids.Where(id => !skipSpecialTokens || !_specialIds.Contains(id)).Select(ConvertIdToToken).ToList());
            return cleanUp ? CleanUpTokenization(fast) : fast;
        }

        var text = new StringBuilder();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && _specialIds.Contains(id))
            {
                continue;
            }

            text.Append(ConvertIdToToken(id));
        }

        string decoded = PythonText.Strip(text.Replace(SentencePieceTextNormalizer.SpaceSymbol, ' ').ToString());
        return cleanUp ? CleanUpTokenization(decoded) : decoded;
    }

    /// <summary>Joins tokens into text (HF <c>convert_tokens_to_string</c>): slow: concatenated, <c>▁</c> → space, stripped; fast: the decoders.</summary>
    /// <param name="tokens">Token strings.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    public string ConvertTokensToString(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (_fast is not null)
        {
            return _fast.Decode(tokens);
        }

        return PythonText.Strip(string.Concat(tokens).Replace(SentencePieceTextNormalizer.SpaceSymbol, ' '));
    }

    /// <summary>The id of a token string; the unknown id if it is not in the vocabulary.</summary>
    /// <param name="token">A token string.</param>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
    public int ConvertTokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _fast is not null ? _fast.TokenToId(token) ?? UnknownTokenId : _encoder!.PieceToId(token);
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
        string? token = _fast is not null ? _fast.IdToToken(id) : (uint)id < (uint)_pieces.Length ? _pieces[id] : null;
        return token ?? throw new ArgumentOutOfRangeException(nameof(id), id, $"Ids run from 0 to {VocabularySize - 1}.");
    }

    /// <summary>The token strings of ids, optionally without special tokens (HF <c>convert_ids_to_tokens</c>).</summary>
    /// <param name="ids">Vocabulary ids.</param>
    /// <param name="skipSpecialTokens">Drop <c>&lt;pad&gt; &lt;unk&gt; [CLS] [SEP] [MASK]</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string[] ConvertIdsToTokens(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return ids.Where(id => !skipSpecialTokens || !_specialIds.Contains(id)).Select(ConvertIdToToken).ToArray();
    }

    /// <summary>Whether an id is one of the special tokens <c>&lt;pad&gt; &lt;unk&gt; [CLS] [SEP] [MASK]</c>.</summary>
    /// <param name="id">A vocabulary id.</param>
    public bool IsSpecialTokenId(int id) => _specialIds.Contains(id);

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
        string path = Path.Combine(directory, _savedFileName);
        string temporary = path + $".{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temporary, _savedBytes);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

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
        TokenSequence first = Tokens(text, scratch.First, scratch);
        TokenSequence? second = textPair is null ? null : Tokens(textPair, scratch.Second, scratch);
        AlbertEncoding encoding = _builder.Build(first, second, options, maxLength);
        Scratch.ReleaseIfLarge();
        return encoding;
    }

    /// <summary>Tokenises one text: special tokens in it, then each plain span through pre-processing, normalisation and segmentation.</summary>
    private TokenSequence Tokens(string text, TokenSequence output, Scratch scratch)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_fast is not null)
        {
            _fast.Tokenize(text, output);
            return output;
        }

        output.Clear();
        _splitter!.Split(text, scratch.Segments);
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
            _preprocessor!.Process(text, segment.Start, segment.End, scratch.Preprocessed);
            scratch.Normalized.Clear();
            _encoder!.Normalizer.Normalize(scratch.Preprocessed, scratch.Normalized);
            scratch.Pieces.Clear();
            _encoder.Encode(scratch.Normalized.Chars, scratch.Pieces);
            AddPieces(scratch.Normalized, scratch.Pieces, output);
        }

        return output;
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
            int id = piece.Unknown ? _encoder!.PieceToId(surface) : piece.Id;
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
            List<string> parts = _encoder!.EncodeAsPieces(token[..^1].Replace(SentencePieceTextNormalizer.SpaceSymbol.ToString(), "", StringComparison.Ordinal));
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
            if (scratch is not null && (scratch.First.Ids.Capacity > LargeCapacity || scratch.Second.Ids.Capacity > LargeCapacity
                || scratch.Ids.Ids.Capacity > LargeCapacity || scratch.Preprocessed.Capacity > LargeCapacity
                || scratch.Normalized.Capacity > LargeCapacity || scratch.Pieces.Capacity > LargeCapacity))
            {
                t_scratch = null;
            }
        }

        public AlignedText Preprocessed { get; } = new();

        public AlignedText Normalized { get; } = new();

        public List<SentencePiece> Pieces { get; } = [];

        public List<TextSegment> Segments { get; } = [];

        public TokenSequence Ids { get; } = new(idsOnly: true, 256);

        public TokenSequence First { get; } = new(idsOnly: false, 256);

        public TokenSequence Second { get; } = new(idsOnly: false, 256);
    }
}
