using System.Text.Json;

namespace AlbertGen.Batch;

/// <summary>One object of a JSON-lines file, with where it came from so errors can name it.</summary>
/// <param name="Path">The file.</param>
/// <param name="Line">1-based line number in the file.</param>
/// <param name="Value">The line's JSON object.</param>
public sealed record JsonlLine(string Path, int Line, JsonElement Value)
{
    /// <summary>A string field that must be present.</summary>
    /// <exception cref="JsonlLineException">The field is missing or not a string.</exception>
    public string Required(string name)
    {
        if (!Value.TryGetProperty(name, out JsonElement field) || field.ValueKind != JsonValueKind.String)
        {
            throw new JsonlLineException(Path, Line, $"\"{name}\" must be a string.");
        }

        return field.GetString()!;
    }

    /// <summary>A string field that may be absent or null.</summary>
    /// <exception cref="JsonlLineException">The field is present but neither a string nor null.</exception>
    public string? Optional(string name)
    {
        if (!Value.TryGetProperty(name, out JsonElement field) || field.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return field.ValueKind == JsonValueKind.String ? field.GetString() : throw new JsonlLineException(Path, Line, $"\"{name}\" must be a string or null.");
    }

    /// <summary>An array of strings that must be present.</summary>
    /// <exception cref="JsonlLineException">The field is missing or not an array of strings.</exception>
    public string[] RequiredStrings(string name)
    {
        if (!Value.TryGetProperty(name, out JsonElement field) || field.ValueKind != JsonValueKind.Array
            || field.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new JsonlLineException(Path, Line, $"\"{name}\" must be an array of strings.");
        }

        return [.. field.EnumerateArray().Select(e => e.GetString()!)];
    }
}
