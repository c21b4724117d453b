// Runtime only.
#if !ALBERTGEN_GENERATOR
using System.Text;
using System.Text.Json;
using AlbertGen.Configuration;

namespace AlbertGen;

/// <summary>Writes an <see cref="AlbertConfig"/> as a HuggingFace <c>config.json</c> that <c>from_pretrained</c> reads back.</summary>
public static class AlbertConfigWriter
{
    /// <summary>The JSON text of a config, with keys sorted as HuggingFace writes them.</summary>
    /// <param name="config">The config.</param>
    /// <param name="architectures">Overrides the config's <c>architectures</c> (e.g. the head a checkpoint was saved from).</param>
    public static string ToJson(AlbertConfig config, IReadOnlyList<string>? architectures = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (architectures is not null)
        {
            config = config with { Architectures = architectures };
        }

        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            foreach (KeyValuePair<string, object> field in Fields(config).OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(field.Key);
                WriteValue(writer, field.Value);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>Writes <c>config.json</c> into <paramref name="directory"/> (created if needed), atomically.</summary>
    public static void WriteFile(AlbertConfig config, string directory, IReadOnlyList<string>? architectures = null)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "config.json");
        AtomicFile.WriteAllText(path, ToJson(config, architectures));
    }

    /// <summary>The entries of <c>config.json</c>, in the schema's order (values as <see cref="ConfigField.ToJson"/> gives them).</summary>
    internal static IEnumerable<KeyValuePair<string, object>> Fields(AlbertConfig config) =>
        AlbertConfigSchema.Fields.SelectMany(field => field.ToJson(config));

    /// <summary>Writes one value of <see cref="ConfigField.ToJson"/>.</summary>
    internal static void WriteValue(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case int number:
                writer.WriteNumberValue(number);
                break;
            case double number:
                writer.WriteNumberValue(number);
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case IEnumerable<KeyValuePair<string, object>> members:
                writer.WriteStartObject();
                foreach (KeyValuePair<string, object> member in members)
                {
                    writer.WritePropertyName(member.Key);
                    WriteValue(writer, member.Value);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable<string> items:
                writer.WriteStartArray();
                foreach (string item in items)
                {
                    writer.WriteStringValue(item);
                }

                writer.WriteEndArray();
                break;
            default:
                throw new InvalidOperationException($"A config field gave a JSON value of type {value.GetType().Name}; the writer knows int, double, string, string lists and objects.");
        }
    }
}
#endif
