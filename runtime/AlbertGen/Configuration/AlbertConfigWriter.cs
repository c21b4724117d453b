// Runtime only.
#if !ALBERTGEN_GENERATOR
using System.Globalization;
using System.Text;
using System.Text.Json;

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
        var fields = new SortedDictionary<string, Action<Utf8JsonWriter>>(StringComparer.Ordinal)
        {
            ["architectures"] = w => WriteStrings(w, architectures ?? config.Architectures),
            ["attention_probs_dropout_prob"] = w => w.WriteNumberValue(config.AttentionProbsDropoutProb),
            ["bos_token_id"] = w => w.WriteNumberValue(config.BosTokenId),
            ["classifier_dropout_prob"] = w => w.WriteNumberValue(config.ClassifierDropoutProb),
            ["embedding_size"] = w => w.WriteNumberValue(config.EmbeddingSize),
            ["eos_token_id"] = w => w.WriteNumberValue(config.EosTokenId),
            ["hidden_act"] = w => w.WriteStringValue(AlbertConfigReader.ActivationName(config.HiddenAct)),
            ["hidden_dropout_prob"] = w => w.WriteNumberValue(config.HiddenDropoutProb),
            ["hidden_size"] = w => w.WriteNumberValue(config.HiddenSize),
            ["initializer_range"] = w => w.WriteNumberValue(config.InitializerRange),
            ["inner_group_num"] = w => w.WriteNumberValue(config.InnerGroupNum),
            ["intermediate_size"] = w => w.WriteNumberValue(config.IntermediateSize),
            ["layer_norm_eps"] = w => w.WriteNumberValue(config.LayerNormEps),
            ["max_position_embeddings"] = w => w.WriteNumberValue(config.MaxPositionEmbeddings),
            ["model_type"] = w => w.WriteStringValue("albert"),
            ["num_attention_heads"] = w => w.WriteNumberValue(config.NumAttentionHeads),
            ["num_hidden_groups"] = w => w.WriteNumberValue(config.NumHiddenGroups),
            ["num_hidden_layers"] = w => w.WriteNumberValue(config.NumHiddenLayers),
            ["pad_token_id"] = w => w.WriteNumberValue(config.PadTokenId),
            ["position_embedding_type"] = w => w.WriteStringValue(AlbertConfigReader.PositionEmbeddingTypeName(config.PositionEmbeddingType)),
            ["type_vocab_size"] = w => w.WriteNumberValue(config.TypeVocabSize),
            ["vocab_size"] = w => w.WriteNumberValue(config.VocabSize),
        };

        // HuggingFace writes id2label/label2id only when they differ from its LABEL_i defaults.
        if (config.HasExplicitLabels || config.NumLabels != 2)
        {
            fields["id2label"] = w =>
            {
                w.WriteStartObject();
                for (int i = 0; i < config.Id2Label.Count; i++)
                {
                    w.WriteString(i.ToString(CultureInfo.InvariantCulture), config.Id2Label[i]);
                }

                w.WriteEndObject();
            };
            fields["label2id"] = w =>
            {
                w.WriteStartObject();
                for (int i = 0; i < config.Id2Label.Count; i++)
                {
                    w.WriteNumber(config.Id2Label[i], i);
                }

                w.WriteEndObject();
            };
        }

        if (config.ProblemType is { } problemType)
        {
            fields["problem_type"] = w => w.WriteStringValue(AlbertConfigReader.ProblemTypeName(problemType));
        }

        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            foreach (var field in fields)
            {
                writer.WritePropertyName(field.Key);
                field.Value(writer);
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
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, ToJson(config, architectures), new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
    }

    private static void WriteStrings(Utf8JsonWriter writer, IReadOnlyList<string> values)
    {
        writer.WriteStartArray();
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
#endif
