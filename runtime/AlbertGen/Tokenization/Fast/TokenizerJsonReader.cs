using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AlbertGen.Tokenization.Fast;

/// <summary>
/// Reads a HuggingFace <c>tokenizer.json</c> of the SentencePiece shape (Unigram model) into a
/// <see cref="FastTokenizerPipeline"/>. Every component is checked as it is read; a file that is not valid JSON, has a
/// field of the wrong kind, or uses a component this reader does not implement is an <see cref="InvalidDataException"/>
/// whose one-line message names the file and the field (e.g. <c>normalizer.normalizers[5].precompiled_charsmap</c>).
/// </summary>
internal static class TokenizerJsonReader
{
    private const int MaxDepth = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Reads the file's bytes.</summary>
    /// <param name="json">The bytes of <c>tokenizer.json</c>.</param>
    /// <param name="source">Names the file in error messages.</param>
    /// <exception cref="InvalidDataException">The file is not a usable Unigram tokenizer; the message says where and why.</exception>
    public static FastTokenizerPipeline Read(byte[] json, string source)
    {
        // System.Text.Json checks the UTF-8 of string contents only when a string is read; checking it first makes a
        // stray byte a clear error with its position instead of an exception from deep inside the reader.
        try
        {
            _ = StrictUtf8.GetCharCount(json);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"'{source}' is not valid UTF-8 (byte {e.Index + 1} of {json.Length}).", e);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{source}' is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstLine(e.Message)}", e);
        }

        using (document)
        {
            var reader = new Node(document.RootElement, "", source);
            reader.ExpectKind(JsonValueKind.Object, "an object");
            UnigramModel model = ReadModel(reader.Required("model"));
            List<AddedToken> added = ReadAddedTokens(reader.Optional("added_tokens"), model);
            NormalizerStep[] normalizers = reader.Optional("normalizer") is { } n ? [.. ReadNormalizer(n)] : [];
            PreTokenizerStep[] preTokenizers = reader.Optional("pre_tokenizer") is { } p ? [.. ReadPreTokenizer(p)] : [];
            int vocabularySize = Math.Max(model.Pieces.Length, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1);
            PostProcessorTemplate template = reader.Optional("post_processor") is { } pp ? ReadPostProcessor(pp, vocabularySize) : PostProcessorTemplate.None;
            DecoderStep[] decoders = reader.Optional("decoder") is { } d ? [.. ReadDecoder(d)] : [];
            return new FastTokenizerPipeline(model, added, normalizers, preTokenizers, template, decoders);
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    private static UnigramModel ReadModel(Node model)
    {
        model.ExpectKind(JsonValueKind.Object, "an object");
        string type = model.Optional("type")?.String() ?? "Unigram";
        if (type != "Unigram")
        {
            throw model.Child("type").Error(
                $"is '{type}'; only Unigram models (SentencePiece, as ALBERT's AlbertConverter writes them) are supported, not BPE, WordPiece or WordLevel");
        }

        Node vocab = model.Required("vocab");
        if (vocab.Element.ValueKind != JsonValueKind.Array)
        {
            throw vocab.Error("must be an array of [piece, score] pairs (a Unigram vocabulary)");
        }

        var pieces = new string[vocab.Element.GetArrayLength()];
        var scores = new double[pieces.Length];
        int i = 0;
        foreach (Node entry in vocab.Items())
        {
            if (entry.Element.ValueKind != JsonValueKind.Array || entry.Element.GetArrayLength() != 2)
            {
                throw entry.Error("must be a [piece, score] pair");
            }

            Node[] pair = [.. entry.Items()];
            pieces[i] = pair[0].String();
            scores[i] = pair[1].Double();
            i++;
        }

        if (pieces.Length == 0)
        {
            throw vocab.Error("is empty");
        }

        // HF allows a Unigram model without unk_id (encoding then fails on text no piece covers); SentencePiece models
        // always have one, and refusing the file beats failing on some text later.
        int unknownId = model.Optional("unk_id")?.Int()
            ?? throw model.Child("unk_id").Error("is missing; a SentencePiece Unigram model has an unknown piece");
        if ((uint)unknownId >= (uint)pieces.Length)
        {
            throw model.Child("unk_id").Error($"is {unknownId}, outside the {pieces.Length}-piece vocabulary");
        }

        bool byteFallback = model.Optional("byte_fallback")?.Bool() ?? false;
        return new UnigramModel(pieces, scores, unknownId, byteFallback);
    }

    private static List<AddedToken> ReadAddedTokens(Node? node, UnigramModel model)
    {
        var tokens = new List<AddedToken>();
        if (node is null)
        {
            return tokens;
        }

        foreach (Node item in node.Items())
        {
            item.ExpectKind(JsonValueKind.Object, "an object");
            int id = item.Required("id").Int();
            if (id < 0)
            {
                throw item.Child("id").Error($"is {id}; ids are not negative");
            }

            string content = item.Required("content").String();
            if (content.Length == 0)
            {
                throw item.Child("content").Error("is empty");
            }

            bool special = item.Optional("special")?.Bool() ?? false;
            tokens.Add(new AddedToken(
                id, content, item.Optional("single_word")?.Bool() ?? false, item.Optional("lstrip")?.Bool() ?? false,
                item.Optional("rstrip")?.Bool() ?? false, item.Optional("normalized")?.Bool() ?? !special, special));
        }

        return tokens;
    }

    private static IEnumerable<NormalizerStep> ReadNormalizer(Node node)
    {
        string type = node.Type();
        switch (type)
        {
            case "Sequence":
                return node.Required("normalizers").Items().SelectMany(ReadNormalizer).ToList();
            case "Replace":
                (string? literal, Regex? regex) = ReadPattern(node.Required("pattern"));
                return [new ReplaceStep(literal, regex, node.Required("content").String())];
            case "NFD":
                return [new DecomposeStep(NormalizationForm.FormD)];
            case "NFKD":
                return [new DecomposeStep(NormalizationForm.FormKD)];
            case "NFC":
                return [new ComposeStep(NormalizationForm.FormC)];
            case "NFKC":
                return [new ComposeStep(NormalizationForm.FormKC)];
            case "Lowercase":
                return [new LowercaseStep()];
            case "StripAccents":
                return [new StripAccentsStep()];
            case "Strip":
                return [new StripStep(node.Optional("strip_left")?.Bool() ?? true, node.Optional("strip_right")?.Bool() ?? true)];
            case "Prepend":
                return [new PrependStep(node.Required("prepend").String())];
            case "Precompiled":
                Node map = node.Required("precompiled_charsmap");
                if (map.Element.ValueKind == JsonValueKind.Null)
                {
                    return [];
                }

                byte[] bytes;
                try
                {
                    bytes = Convert.FromBase64String(map.String());
                }
                catch (FormatException)
                {
                    throw map.Error("is not valid base64");
                }

                if (bytes.Length == 0)
                {
                    return [];
                }

                try
                {
                    return [new PrecompiledStep(bytes, $"'{node.Source}': {map.Path}")];
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"{e.Message}, which is not a SentencePiece chars map", e);
                }

            default:
                throw node.Child("type").Error(
                    $"is '{type}'; supported normalizers: Sequence, Replace, NFD, NFKD, NFC, NFKC, Lowercase, StripAccents, Strip, Prepend, Precompiled");
        }
    }

    private static IEnumerable<PreTokenizerStep> ReadPreTokenizer(Node node)
    {
        string type = node.Type();
        switch (type)
        {
            case "Sequence":
                return node.Required("pretokenizers").Items().SelectMany(ReadPreTokenizer).ToList();
            case "WhitespaceSplit":
                return [new WhitespaceSplitStep()];
            case "Metaspace":
                (char replacement, PrependScheme scheme) = ReadMetaspace(node);
                return [new MetaspaceStep(replacement, scheme, node.Optional("split")?.Bool() ?? true)];
            default:
                throw node.Child("type").Error($"is '{type}'; supported pre-tokenizers: Metaspace, WhitespaceSplit, Sequence");
        }
    }

    /// <summary>The replacement and the prepend scheme, in the current (<c>prepend_scheme</c>) or the older (<c>add_prefix_space</c>) spelling.</summary>
    private static (char Replacement, PrependScheme Scheme) ReadMetaspace(Node node)
    {
        Node replacementNode = node.Required("replacement");
        string replacement = replacementNode.String();
        if (replacement.Length != 1)
        {
            throw replacementNode.Error($"is '{replacement}'; it must be one character");
        }

        PrependScheme scheme = PrependScheme.Always;
        if (node.Optional("prepend_scheme") is { } schemeNode)
        {
            scheme = schemeNode.String() switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                string other => throw schemeNode.Error($"is '{other}'; expected always, first or never"),
            };
        }

        if (node.Optional("add_prefix_space")?.Bool() == false)
        {
            if (node.Optional("prepend_scheme") is not null && scheme != PrependScheme.Never)
            {
                throw node.Child("add_prefix_space").Error("is false but prepend_scheme is not 'never'");
            }

            scheme = PrependScheme.Never;
        }

        return (replacement[0], scheme);
    }

    private static PostProcessorTemplate ReadPostProcessor(Node node, int vocabularySize)
    {
        string type = node.Type();
        switch (type)
        {
            case "TemplateProcessing":
                var specials = new Dictionary<string, (int[] Ids, string[] Tokens)>(StringComparer.Ordinal);
                if (node.Optional("special_tokens") is { } map)
                {
                    map.ExpectKind(JsonValueKind.Object, "an object");
                    foreach (string name in map.PropertyNames())
                    {
                        Node special = map.Child(name);
                        int[] ids = [.. special.Required("ids").Items().Select(i => i.Int())];
                        if (ids.FirstOrDefault(id => (uint)id >= (uint)vocabularySize, -1) is int bad and not -1)
                        {
                            throw special.Child("ids").Error($"holds {bad}, outside the {vocabularySize} ids of the vocabulary");
                        }

                        string[] strings = [.. special.Required("tokens").Items().Select(t => t.String())];
                        if (ids.Length != strings.Length)
                        {
                            throw special.Error($"has {ids.Length} ids but {strings.Length} tokens");
                        }

                        specials[name] = (ids, strings);
                    }
                }

                return new PostProcessorTemplate(
                    ReadTemplate(node.Required("single"), specials, allowSecond: false),
                    ReadTemplate(node.Required("pair"), specials, allowSecond: true));
            case "BertProcessing":
                (string sep, int sepId) = ReadTokenPair(node.Required("sep"), vocabularySize);
                (string cls, int clsId) = ReadTokenPair(node.Required("cls"), vocabularySize);
                return PostProcessorTemplate.Albert(clsId, cls, sepId, sep);
            default:
                throw node.Child("type").Error($"is '{type}'; supported post-processors: TemplateProcessing, BertProcessing");
        }
    }

    private static (string Token, int Id) ReadTokenPair(Node node, int vocabularySize)
    {
        Node[] items = [.. node.Items()];
        if (items.Length != 2)
        {
            throw node.Error("must be a [token, id] pair");
        }

        int id = items[1].Int();
        return (uint)id < (uint)vocabularySize ? (items[0].String(), id) : throw items[1].Error($"is outside the {vocabularySize} ids of the vocabulary");
    }

    private static TemplateItem[] ReadTemplate(Node node, Dictionary<string, (int[] Ids, string[] Tokens)> specials, bool allowSecond)
    {
        var items = new List<TemplateItem>();
        foreach (Node item in node.Items())
        {
            if (item.Optional("SpecialToken") is { } special)
            {
                string name = special.Required("id").String();
                if (!specials.TryGetValue(name, out var found))
                {
                    throw special.Child("id").Error($"is '{name}', which special_tokens does not define");
                }

                items.Add(new TemplateItem(-1, special.Required("type_id").Int(), found.Ids, found.Tokens));
            }
            else if (item.Optional("Sequence") is { } sequence)
            {
                string id = sequence.Required("id").String();
                int which = id switch
                {
                    "A" => 0,
                    "B" when allowSecond => 1,
                    _ => throw sequence.Child("id").Error($"is '{id}'; expected A{(allowSecond ? " or B" : "")}"),
                };
                items.Add(new TemplateItem(which, sequence.Required("type_id").Int(), [], []));
            }
            else
            {
                throw item.Error("must be {\"SpecialToken\": …} or {\"Sequence\": …}");
            }
        }

        // Truncation budgets and the encodings' layout count each text exactly once, as HF's do.
        foreach ((int which, string name) in allowSecond ? new[] { (0, "A"), (1, "B") } : [(0, "A")])
        {
            int count = items.Count(i => i.Sequence == which);
            if (count != 1)
            {
                throw node.Error($"holds Sequence {name} {count} times; a template places each text exactly once");
            }
        }

        return [.. items];
    }

    private static IEnumerable<DecoderStep> ReadDecoder(Node node)
    {
        string type = node.Type();
        switch (type)
        {
            case "Sequence":
                return node.Required("decoders").Items().SelectMany(ReadDecoder).ToList();
            case "Metaspace":
                (char replacement, PrependScheme scheme) = ReadMetaspace(node);
                return [new MetaspaceDecoder(replacement, scheme)];
            case "Replace":
                (string? literal, Regex? regex) = ReadPattern(node.Required("pattern"));
                return [new ReplaceDecoder(literal, regex, node.Required("content").String())];
            case "Strip":
                Node content = node.Required("content");
                string text = content.String();
                if (text.Length != 1)
                {
                    throw content.Error($"is '{text}'; it must be one character");
                }

                return [new StripDecoder(text[0], node.Required("start").Int(), node.Required("stop").Int())];
            case "Fuse":
                return [new FuseDecoder()];
            case "ByteFallback":
                return [new ByteFallbackDecoder()];
            default:
                throw node.Child("type").Error($"is '{type}'; supported decoders: Metaspace, Replace, Strip, Fuse, ByteFallback, Sequence");
        }
    }

    private static (string? Literal, Regex? Regex) ReadPattern(Node pattern)
    {
        if (pattern.Optional("String") is { } literal)
        {
            return (literal.String(), null);
        }

        if (pattern.Optional("Regex") is { } expression)
        {
            try
            {
                return (null, new Regex(expression.String(), RegexOptions.CultureInvariant | RegexOptions.Compiled, RegexTimeout));
            }
            catch (ArgumentException e)
            {
                throw expression.Error($"is not a valid regular expression: {e.Message}");
            }
        }

        throw pattern.Error("must be {\"String\": …} or {\"Regex\": …}");
    }

    /// <summary>A JSON value with its path in the file, for error messages.</summary>
    private sealed class Node(JsonElement element, string path, string source)
    {
        public JsonElement Element { get; } = element;

        public string Path { get; } = path;

        public string Source { get; } = source;

        public Node Child(string name) => new(
            Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out JsonElement child) ? child : default,
            Path.Length == 0 ? name : $"{Path}.{name}", Source);

        public Node Required(string name)
        {
            ExpectKind(JsonValueKind.Object, "an object");
            if (!Element.TryGetProperty(name, out JsonElement child))
            {
                throw new InvalidDataException($"'{Source}': {(Path.Length == 0 ? name : $"{Path}.{name}")} is missing");
            }

            return new Node(child, Path.Length == 0 ? name : $"{Path}.{name}", Source);
        }

        /// <summary>A field that may be absent or null.</summary>
        public Node? Optional(string name)
        {
            ExpectKind(JsonValueKind.Object, "an object");
            return Element.TryGetProperty(name, out JsonElement child) && child.ValueKind != JsonValueKind.Null
                ? new Node(child, Path.Length == 0 ? name : $"{Path}.{name}", Source)
                : null;
        }

        public IEnumerable<Node> Items()
        {
            ExpectKind(JsonValueKind.Array, "an array");
            int i = 0;
            foreach (JsonElement item in Element.EnumerateArray())
            {
                yield return new Node(item, $"{Path}[{i++}]", Source);
            }
        }

        public string Type() => Required("type").String();

        public string String()
        {
            ExpectKind(JsonValueKind.String, "a string");
            return Decoded(Element.GetString);
        }

        public IEnumerable<string> PropertyNames()
        {
            ExpectKind(JsonValueKind.Object, "an object");
            foreach (JsonProperty property in Element.EnumerateObject())
            {
                yield return Decoded(() => property.Name);
            }
        }

        public int Int()
        {
            ExpectKind(JsonValueKind.Number, "an integer");
            return Element.TryGetInt32(out int value) ? value : throw Error($"is {Element.GetRawText()}, expected a 32-bit integer");
        }

        public double Double()
        {
            ExpectKind(JsonValueKind.Number, "a number");
            return Element.GetDouble();
        }

        public bool Bool() => Element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"is {Describe()}, expected true or false"),
        };

        public void ExpectKind(JsonValueKind kind, string what)
        {
            if (Element.ValueKind != kind)
            {
                throw Error($"is {Describe()}, expected {what}");
            }
        }

        public InvalidDataException Error(string message) =>
            new($"'{Source}': {(Path.Length == 0 ? "the top level" : Path)} {message}");

        private string Describe() => Element.ValueKind switch
        {
            JsonValueKind.Undefined => "missing",
            JsonValueKind.String => $"the string {Truncate(Element.GetRawText())}",
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            _ => Truncate(Element.GetRawText()),
        };

        /// <summary>
        /// A string or name as text. The bytes are valid UTF-8 (checked on reading), but an escape can still stand for
        /// half a surrogate pair (<c>"\ud800"</c>), which has no UTF-16 string.
        /// </summary>
        private string Decoded(Func<string?> read)
        {
            try
            {
                return read()!;
            }
            catch (InvalidOperationException e)
            {
                throw Error($"is not valid Unicode text ({FirstLine(e.Message)})");
            }
        }

        private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
    }
}
