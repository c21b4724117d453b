// Shared source: compiled into the fuzzing executable (AlbertGen.Fuzz) and into AlbertGen.Tests, whose corpus replay runs
// every committed input through the same entry functions. Nothing here may depend on SharpFuzz.
using System.Runtime.InteropServices;
using System.Text;
using AlbertGen.Checkpoints;
using AlbertGen.Configuration;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Fuzz;

/// <summary>Names of the fuzz targets (the first argument of AlbertGen.Fuzz, and the corpus folder names).</summary>
public static class FuzzTargetNames
{
    /// <summary>The safetensors reader: <see cref="SafetensorsFile.Open"/> on arbitrary bytes, then every tensor read.</summary>
    public const string Safetensors = "safetensors";

    /// <summary>The config parser: <see cref="AlbertConfigReader.Parse(string)"/> on arbitrary text.</summary>
    public const string Config = "config";

    /// <summary>The SentencePiece model loader: <see cref="AlbertTokenizer.FromStream"/> on arbitrary bytes.</summary>
    public const string Spiece = "spiece";

    /// <summary>The tokenizer on arbitrary text: encode with offsets, pairs, truncation, padding, decode.</summary>
    public const string Tokenizer = "tokenizer";

    /// <summary>The <c>tokenizer.json</c> loader (fast tokenizer): <see cref="AlbertTokenizer.FromStream"/> on arbitrary JSON.</summary>
    public const string TokenizerJson = "tokenizer-json";

    /// <summary>The PyTorch checkpoint reader (zip and legacy formats, restricted unpickler) on arbitrary bytes, then every tensor read.</summary>
    public const string Pickle = "pickle";

    /// <summary>All targets.</summary>
    public static IReadOnlyList<string> All { get; } = [Safetensors, Config, Spiece, Tokenizer, TokenizerJson, Pickle];
}

/// <summary>Raised by a harness when an invariant of the code under test does not hold (a finding, like a crash).</summary>
public sealed class FuzzInvariantException(string message) : Exception(message);

/// <summary>
/// The fuzz entry functions. Each takes the raw input bytes, runs the code under test, swallows the exceptions that API
/// documents for bad input, and lets anything else escape: an escaping exception is a finding.
/// </summary>
/// <remarks>
/// Documented exceptions, per target: <c>safetensors</c> — <see cref="SafetensorsFormatException"/>;
/// <c>config</c> — none (the parser reports problems, it never throws); <c>spiece</c> and <c>tokenizer-json</c> —
/// <see cref="InvalidDataException"/> on loading (and, for <c>tokenizer-json</c>, <see cref="ArgumentException"/> when its
/// template leaves no room for truncation);
/// <c>pickle</c> — <see cref="CheckpointFormatException"/> (and its <see cref="UnsafePickleException"/>);
/// <c>tokenizer</c> — <see cref="ArgumentException"/> only when truncation or overflow windows were asked for and
/// cannot be met (see <see cref="AlbertEncodeOptions"/>).
/// </remarks>
public static class FuzzTargets
{
    private static readonly string[] ProbeTexts =
    [
        "Hello, world! It's 1,000 km.", "  [CLS] a [MASK] b [SEP] ", "Ünïcödé ﬁ ①", "", "\u00e9\u0301\t\n\u3000x",
    ];

    /// <summary>Runs one input through a target by name.</summary>
    /// <param name="target">One of <see cref="FuzzTargetNames.All"/>.</param>
    /// <param name="data">The input bytes.</param>
    /// <param name="tokenizer">The tokenizer for the <c>tokenizer</c> target (the fixture <c>spiece.model</c>).</param>
    /// <param name="scratchFile">A file the <c>safetensors</c> target may overwrite.</param>
    public static void Run(string target, ReadOnlySpan<byte> data, AlbertTokenizer? tokenizer, string scratchFile)
    {
        switch (target)
        {
            case FuzzTargetNames.Safetensors: Safetensors(data, scratchFile); break;
            case FuzzTargetNames.Config: Config(data); break;
            case FuzzTargetNames.Spiece: Spiece(data); break;
            case FuzzTargetNames.TokenizerJson: TokenizerJson(data); break;
            case FuzzTargetNames.Tokenizer: Tokenizer(tokenizer ?? throw new ArgumentNullException(nameof(tokenizer)), data); break;
            case FuzzTargetNames.Pickle: Pickle(data, scratchFile); break;
            default: throw new ArgumentException($"Unknown fuzz target '{target}'; targets: {string.Join(", ", FuzzTargetNames.All)}.", nameof(target));
        }
    }

    /// <summary>Writes the bytes to <paramref name="scratchFile"/>, opens it, reads every tensor as stored and as float32.</summary>
    /// <param name="data">File contents.</param>
    /// <param name="scratchFile">Where to write them.</param>
    public static void Safetensors(ReadOnlySpan<byte> data, string scratchFile)
    {
        WriteScratch(data, scratchFile);

        SafetensorsFile file;
        try
        {
            file = SafetensorsFile.Open(scratchFile);
        }
        catch (SafetensorsFormatException)
        {
            return;
        }

        using (file)
        using (NewDisposeScope())
        {
            _ = file.ToString();
            foreach (SafetensorsTensorInfo info in file.Tensors.Values)
            {
                if (info.End - info.Begin > data.Length)
                {
                    throw new FuzzInvariantException($"tensor '{info.Name}' spans {info.End - info.Begin} bytes of a {data.Length}-byte file.");
                }

                Tensor stored = file.ReadTensor(info.Name);
                if (stored.numel() != info.ElementCount || !stored.shape.SequenceEqual(info.Shape))
                {
                    throw new FuzzInvariantException($"tensor '{info.Name}' read as {stored.numel()} elements [{string.Join(", ", stored.shape)}], header says {info.ShapeText}.");
                }

                Tensor converted = empty(info.Shape.ToArray(), ScalarType.Float32);
                file.CopyTo(info.Name, converted);
            }
        }
    }

    private static void WriteScratch(ReadOnlySpan<byte> data, string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1);
        stream.Write(data);
    }

    /// <summary>
    /// Writes the bytes to a <c>.bin</c> beside <paramref name="scratchFile"/>, opens it as a PyTorch checkpoint, and reads
    /// every tensor as stored and as float32; a tensor may not hold more bytes than the file.
    /// </summary>
    /// <param name="data">File contents.</param>
    /// <param name="scratchFile">The scratch path; its <c>.bin</c> sibling is written and deleted.</param>
    public static void Pickle(ReadOnlySpan<byte> data, string scratchFile)
    {
        string path = Path.ChangeExtension(scratchFile, ".bin");
        WriteScratch(data, path);

        try
        {
            ICheckpointFile file;
            try
            {
                file = PyTorchCheckpointReader.Open(path);
            }
            catch (CheckpointFormatException)
            {
                return;
            }

            using (file)
            using (NewDisposeScope())
            {
                foreach (CheckpointTensorInfo info in file.Tensors.Values)
                {
                    if (info.ByteCount > data.Length)
                    {
                        throw new FuzzInvariantException($"tensor '{info.Name}' holds {info.ByteCount} bytes, more than the {data.Length}-byte file.");
                    }

                    try
                    {
                        file.CopyTo(info.Name, empty(info.Shape.ToArray(), SafetensorsDTypes.ToScalarType(info.DType)));
                        file.CopyTo(info.Name, empty(info.Shape.ToArray(), ScalarType.Float32));
                    }
                    catch (CheckpointFormatException)
                    {
                        // A zip entry that fails its CRC or ends early is only seen when it is read.
                    }
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Parses the bytes (as UTF-8, invalid sequences replaced) as a <c>config.json</c>; a valid config must survive a
    /// write-and-parse round trip unchanged.
    /// </summary>
    /// <param name="data">File contents.</param>
    public static void Config(ReadOnlySpan<byte> data)
    {
        string text = Encoding.UTF8.GetString(data);
        ConfigParseResult result = AlbertConfigReader.Parse(text);
        if (result.Config is null)
        {
            if (!result.Problems.Any(p => p.IsError))
            {
                throw new FuzzInvariantException("no config and no error problem.");
            }

            return;
        }

        string written = AlbertConfigWriter.ToJson(result.Config);
        ConfigParseResult again = AlbertConfigReader.Parse(written);
        if (again.Config is null)
        {
            throw new FuzzInvariantException($"a valid config was written as text that does not parse: {again.Problems[0].Message}\n{written}");
        }

        string rewritten = AlbertConfigWriter.ToJson(again.Config);
        if (rewritten != written)
        {
            throw new FuzzInvariantException($"config round trip changed it:\n{written}\n---\n{rewritten}");
        }
    }

    /// <summary>Loads the bytes as a SentencePiece model; a model that loads must encode and decode a few texts.</summary>
    /// <param name="data">File contents.</param>
    public static void Spiece(ReadOnlySpan<byte> data)
    {
        AlbertTokenizer tokenizer;
        try
        {
            tokenizer = AlbertTokenizer.FromStream(new MemoryStream(data.ToArray(), writable: false), sourceName: "fuzz input");
        }
        catch (InvalidDataException)
        {
            return;
        }

        foreach (string text in ProbeTexts)
        {
            int[] ids = tokenizer.EncodeToIds(text);
            AlbertEncoding encoding = tokenizer.Encode(text, "pair", new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 8 });
            CheckEncoding(tokenizer, encoding, text, "pair");
            _ = tokenizer.Decode(ids);
            _ = tokenizer.Decode(encoding.InputIds, skipSpecialTokens: true);
        }

        int shown = Math.Min(tokenizer.VocabularySize, 4096);
        _ = tokenizer.Decode(Enumerable.Range(0, shown));
        _ = tokenizer.ConvertIdsToTokens(Enumerable.Range(0, shown), skipSpecialTokens: true);
    }

    /// <summary>
    /// Loads the bytes as a <c>tokenizer.json</c>; a tokenizer that loads must encode (alone, and a truncated pair), agree
    /// between its ids-only and full paths, keep ids and offsets in range, and decode what it encoded.
    /// </summary>
    /// <param name="data">File contents.</param>
    public static void TokenizerJson(ReadOnlySpan<byte> data)
    {
        AlbertTokenizer tokenizer;
        try
        {
            tokenizer = AlbertTokenizer.FromStream(new MemoryStream(data.ToArray(), writable: false), sourceName: "fuzz input");
        }
        catch (InvalidDataException)
        {
            return;
        }

        if (tokenizer.Kind != TokenizerKind.Fast && data.IndexOfAnyExcept(" \t\r\n"u8) is int first and >= 0 && data[first] == (byte)'{')
        {
            throw new FuzzInvariantException("a tokenizer.json loaded as a slow tokenizer.");
        }

        foreach (string text in ProbeTexts)
        {
            AlbertEncoding plain = tokenizer.Encode(text);
            CheckEncoding(tokenizer, plain, text, null, anyTypeIds: true);
            int[] ids = tokenizer.EncodeToIds(text);
            if (!ids.SequenceEqual(plain.InputIds))
            {
                throw new FuzzInvariantException($"EncodeToIds [{string.Join(",", ids)}] differs from Encode [{string.Join(",", plain.InputIds)}].");
            }

            try
            {
                AlbertEncoding pair = tokenizer.Encode(text, "pair", new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 8 });
                CheckEncoding(tokenizer, pair, text, "pair", anyTypeIds: true);
            }
            catch (ArgumentException)
            {
                // The template's special tokens alone may not fit in 8.
            }

            _ = tokenizer.Decode(ids);
            _ = tokenizer.Decode(ids, skipSpecialTokens: true);
            _ = tokenizer.ConvertTokensToString(plain.Tokens);
        }
    }

    /// <summary>
    /// Encodes text from the input with options from its first three bytes, and checks the encoding's invariants, the
    /// ids-only path against the full one, and decoding.
    /// </summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="data">Byte 0: flags (truncation, pair, overflow, padding, side, UTF-16); byte 1: max length; byte 2:
    /// stride and pad multiple; the rest: the text (UTF-8, or raw UTF-16 when flagged, so lone surrogates occur), split
    /// into a pair at the first NUL when flagged.</param>
    public static void Tokenizer(AlbertTokenizer tokenizer, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (data.Length < 3)
        {
            return;
        }

        byte flags = data[0];
        var options = new AlbertEncodeOptions
        {
            Truncation = (TruncationStrategy)(flags & 3),
            ReturnOverflowingTokens = (flags & 8) != 0,
            Padding = (PaddingStrategy)(((flags >> 4) & 3) % 3),
            PaddingSide = (flags & 64) != 0 ? PaddingSide.Left : PaddingSide.Right,
            MaxLength = data[1] == 0 ? null : data[1] % 80,
            Stride = data[2] & 15,
            PadToMultipleOf = (data[2] >> 4) is 0 or > 8 ? null : data[2] >> 4,
        };

        ReadOnlySpan<byte> body = data[3..];
        string all = (flags & 128) != 0
            ? new string(MemoryMarshal.Cast<byte, char>(body[..(body.Length & ~1)]))
            : Encoding.UTF8.GetString(body);
        string text = all;
        string? pair = null;
        int nul = all.IndexOf('\0');
        if ((flags & 4) != 0 && nul >= 0)
        {
            text = all[..nul];
            pair = all[(nul + 1)..];
        }

        AlbertEncoding encoding;
        try
        {
            encoding = tokenizer.Encode(text, pair, options);
        }
        catch (ArgumentException) when (options.Truncation != TruncationStrategy.None || options.ReturnOverflowingTokens || options.MaxLength == 0)
        {
            encoding = tokenizer.Encode(text, pair);
        }

        CheckEncoding(tokenizer, encoding, text, pair);
        foreach (AlbertEncoding window in encoding.Overflowing)
        {
            CheckEncoding(tokenizer, window, text, pair);
        }

        // The ids-only fast path must agree with the full path.
        AlbertEncoding plain = tokenizer.Encode(text);
        int[] fast = tokenizer.EncodeToIds(text);
        if (!fast.SequenceEqual(plain.InputIds))
        {
            throw new FuzzInvariantException($"EncodeToIds [{string.Join(",", fast)}] differs from Encode [{string.Join(",", plain.InputIds)}].");
        }

        IReadOnlyList<string> tokens = tokenizer.Tokenize(text);
        if (!tokens.SequenceEqual(plain.Tokens.Skip(1).Take(plain.Length - 2)))
        {
            throw new FuzzInvariantException("Tokenize differs from Encode's tokens.");
        }

        string decoded = tokenizer.Decode(plain.InputIds, skipSpecialTokens: true, cleanUpTokenizationSpaces: false);
        _ = tokenizer.Decode(encoding.InputIds);
        _ = tokenizer.ConvertTokensToString(tokens);

        // Decoded text is made of vocabulary pieces (and unknown runs): it must tokenise again without failing.
        _ = tokenizer.EncodeToIds(decoded);
    }

    /// <summary>Checks the parallel lists, ids, offsets and sequence ids of one encoding.</summary>
    private static void CheckEncoding(AlbertTokenizer tokenizer, AlbertEncoding e, string text, string? pair, bool anyTypeIds = false)
    {
        int n = e.Length;
        if (e.Tokens.Count != n || e.TokenTypeIds.Count != n || e.AttentionMask.Count != n || e.SpecialTokensMask.Count != n
            || e.Offsets.Count != n || e.SequenceIds.Count != n)
        {
            throw new FuzzInvariantException("the lists of an encoding have different lengths.");
        }

        for (int i = 0; i < n; i++)
        {
            int id = e.InputIds[i];
            if ((uint)id >= (uint)tokenizer.VocabularySize)
            {
                throw new FuzzInvariantException($"id {id} at {i} is outside the vocabulary.");
            }

            int sequence = e.SequenceIds[i];
            string? source = sequence switch { 0 => text, 1 => pair, _ => "" };
            if (source is null)
            {
                throw new FuzzInvariantException($"position {i} belongs to sequence {sequence}, which was not given.");
            }

            (int start, int end) = e.Offsets[i];
            if (start < 0 || end < start || end > source.Length)
            {
                throw new FuzzInvariantException($"offset ({start}, {end}) at {i} lies outside its {source.Length}-char text.");
            }

            if (e.AttentionMask[i] is not (0 or 1) || e.SpecialTokensMask[i] is not (0 or 1) || (!anyTypeIds && e.TokenTypeIds[i] is not (0 or 1)))
            {
                throw new FuzzInvariantException($"a mask or type id at {i} is not 0 or 1.");
            }
        }
    }
}
