using System.Text.Json;

namespace AlbertGen.Server.Http;

/// <summary>
/// Reads request fields from a parsed JSON body. The routes take unions (a string or a list of strings, a text or a pair),
/// so fields are read from the document by hand; every mistake becomes a 422 naming the field and what it must be.
/// </summary>
internal static class JsonFields
{
    /// <summary>The body, which must be a JSON object.</summary>
    public static JsonElement Object(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.Invalid($"The request body must be a JSON object, not {Kind(body)}.");
        }

        return body;
    }

    /// <summary>A field that must be present (and not null).</summary>
    public static JsonElement Required(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            throw ApiException.Invalid($"\"{name}\" is missing.");
        }

        return value;
    }

    /// <summary>A field that may be absent or null.</summary>
    public static JsonElement? Optional(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>A string field that must be present.</summary>
    public static string RequiredString(JsonElement obj, string name) => String(Required(obj, name), name);

    /// <summary>A JSON string.</summary>
    public static string String(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String ? Text(value, name) : throw ApiException.Invalid($"\"{name}\" must be a string, not {Kind(value)}.");

    /// <summary>
    /// A JSON string's text, refused (422 naming the field) when it is not text: invalid UTF-8, or an escaped lone UTF-16
    /// surrogate (<c>"\ud800"</c>), which System.Text.Json either refuses to decode or hands on as a broken string.
    /// </summary>
    public static string Text(JsonElement value, string name)
    {
        string text;
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw ApiException.Invalid($"\"{name}\" is not valid text: {e.Message}");
        }

        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                throw ApiException.Invalid($"\"{name}\" holds a lone UTF-16 surrogate (\\u{(int)text[i]:x4}) at char {i}; a string must be valid Unicode text.");
            }
        }

        return text;
    }

    /// <summary>An optional boolean field.</summary>
    public static bool? Bool(JsonElement obj, string name) => Optional(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        JsonElement other => throw ApiException.Invalid($"\"{name}\" must be true or false, not {Kind(other)}."),
    };

    /// <summary>An optional integer field of at least <paramref name="min"/>.</summary>
    public static int? Int(JsonElement obj, string name, int min)
    {
        if (Optional(obj, name) is not JsonElement value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int number))
        {
            throw ApiException.Invalid($"\"{name}\" must be an integer, not {Describe(value)}.");
        }

        return number >= min ? number : throw ApiException.Invalid($"\"{name}\" must be at least {min}, not {number}.");
    }

    /// <summary>A string or a list of strings: (the strings, whether it was a list).</summary>
    public static (IReadOnlyList<string> Items, bool IsList) StringOrStrings(JsonElement value, string name)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return ([Text(value, name)], false);
        }

        if (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
        {
            return ([.. value.EnumerateArray().Select((e, i) => Text(e, $"{name}[{i}]"))], true);
        }

        throw ApiException.Invalid($"\"{name}\" must be a string or a list of strings, not {Describe(value)}.");
    }

    /// <summary>A list of strings.</summary>
    public static IReadOnlyList<string> Strings(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
            ? [.. value.EnumerateArray().Select((e, i) => Text(e, $"{name}[{i}]"))]
            : throw ApiException.Invalid($"\"{name}\" must be a list of strings, not {Describe(value)}.");

    /// <summary>A short description of a value for error messages: its JSON type, and the value itself when it is short.</summary>
    public static string Describe(JsonElement value)
    {
        string raw = value.GetRawText();
        return raw.Length <= 40 ? $"{Kind(value)} {raw}" : Kind(value);
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
