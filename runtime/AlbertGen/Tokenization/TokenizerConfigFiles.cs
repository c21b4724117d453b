using System.Text.Json;

namespace AlbertGen.Tokenization;

/// <summary>
/// The settings HuggingFace keeps beside a tokenizer: <c>tokenizer_config.json</c> (<c>do_lower_case</c>,
/// <c>remove_space</c>, <c>keep_accents</c>, <c>model_max_length</c>, <c>clean_up_tokenization_spaces</c>, special
/// tokens) and <c>special_tokens_map.json</c>, whose special tokens win, as in <c>from_pretrained</c>.
/// </summary>
internal static class TokenizerConfigFiles
{
    public const string ConfigFileName = "tokenizer_config.json";
    public const string SpecialTokensFileName = "special_tokens_map.json";

    /// <summary><c>model_max_length</c> at or above this is HF's "no limit" marker (it writes 1e30).</summary>
    private const double NoLimit = int.MaxValue;

    /// <summary>The options the files in <paramref name="directory"/> describe, starting from <paramref name="options"/>.</summary>
    /// <exception cref="InvalidDataException">A file is not valid JSON or a field has the wrong type; the message names both.</exception>
    public static AlbertTokenizerOptions Apply(string directory, AlbertTokenizerOptions options)
    {
        string config = Path.Combine(directory, ConfigFileName);
        if (File.Exists(config))
        {
            options = Read(config, options, (element, path, o) => o with
            {
                DoLowerCase = Bool(element, "do_lower_case", path) ?? o.DoLowerCase,
                RemoveSpace = Bool(element, "remove_space", path) ?? o.RemoveSpace,
                KeepAccents = Bool(element, "keep_accents", path) ?? o.KeepAccents,
                CleanUpTokenizationSpaces = Bool(element, "clean_up_tokenization_spaces", path) ?? o.CleanUpTokenizationSpaces,
                MaxLength = MaxLength(element, path) ?? o.MaxLength,
            });
            options = Read(config, options, SpecialTokens);
        }

        string map = Path.Combine(directory, SpecialTokensFileName);
        if (File.Exists(map))
        {
            options = Read(map, options, SpecialTokens);
        }

        return options;
    }

    private static AlbertTokenizerOptions Read(
        string path, AlbertTokenizerOptions options, Func<JsonElement, string, AlbertTokenizerOptions, AlbertTokenizerOptions> apply)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"'{path}' must hold a JSON object, not {document.RootElement.ValueKind}.");
            }

            return apply(document.RootElement, path, options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON (line {e.LineNumber + 1}): {e.Message.Split('\n')[0]}", e);
        }
    }

    private static AlbertTokenizerOptions SpecialTokens(JsonElement root, string path, AlbertTokenizerOptions options) => options with
    {
        ClsToken = Token(root, "cls_token", path) ?? options.ClsToken,
        SepToken = Token(root, "sep_token", path) ?? options.SepToken,
        MaskToken = Token(root, "mask_token", path) ?? options.MaskToken,
        PadToken = Token(root, "pad_token", path) ?? options.PadToken,
        UnknownToken = Token(root, "unk_token", path) ?? options.UnknownToken,
    };

    private static bool? Bool(JsonElement root, string name, string path) =>
        !root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidDataException($"'{path}': {name} is {value.GetRawText()}, expected true or false."),
        };

    private static int? MaxLength(JsonElement root, string path)
    {
        if (!root.TryGetProperty("model_max_length", out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double length) || length < 1 || length != Math.Floor(length))
        {
            throw new InvalidDataException($"'{path}': model_max_length is {value.GetRawText()}, expected a positive integer.");
        }

        return length >= NoLimit ? null : (int)length;
    }

    /// <summary>A special token given as a string or as an <c>AddedToken</c> object (its <c>content</c>).</summary>
    private static string? Token(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
        {
            return text;
        }

        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out JsonElement content)
            && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } inner)
        {
            return inner;
        }

        throw new InvalidDataException($"'{path}': {name} is {value.GetRawText()}, expected a non-empty string or an object with a \"content\" string.");
    }
}
