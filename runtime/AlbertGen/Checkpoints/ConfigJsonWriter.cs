using System.Globalization;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace AlbertGen.Checkpoints;

/// <summary>Writes an <see cref="AlbertConfig"/> as a HuggingFace <c>config.json</c>.</summary>
public static class ConfigJsonWriter
{
    /// <summary>Serialises <paramref name="config"/> with HuggingFace field names, sorted as <c>save_pretrained</c> does.</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="architecture">The HuggingFace class name for <c>architectures</c>; null keeps the config's list.</param>
    /// <param name="dtype">The parameter dtype for <c>torch_dtype</c>; null leaves the field out.</param>
    /// <returns>Indented JSON.</returns>
    public static string Write(AlbertConfig config, string? architecture = null, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        IReadOnlyList<string> labels = config.Id2Label.Count == config.NumLabels
            ? config.Id2Label
            : Enumerable.Range(0, config.NumLabels).Select(i => $"LABEL_{i}").ToArray();
        var fields = new SortedDictionary<string, Action<Utf8JsonWriter>>(StringComparer.Ordinal)
        {
            ["architectures"] = w => WriteStrings(w, architecture is null ? config.Architectures : [architecture]),
            ["attention_probs_dropout_prob"] = w => w.WriteNumberValue(config.AttentionProbsDropoutProb),
            ["bos_token_id"] = w => w.WriteNumberValue(config.BosTokenId),
            ["classifier_dropout_prob"] = w => w.WriteNumberValue(config.ClassifierDropoutProb),
            ["embedding_size"] = w => w.WriteNumberValue(config.EmbeddingSize),
            ["eos_token_id"] = w => w.WriteNumberValue(config.EosTokenId),
            ["hidden_act"] = w => w.WriteStringValue(ActivationName(config.HiddenAct)),
            ["hidden_dropout_prob"] = w => w.WriteNumberValue(config.HiddenDropoutProb),
            ["hidden_size"] = w => w.WriteNumberValue(config.HiddenSize),
            ["id2label"] = w => WriteId2Label(w, labels),
            ["initializer_range"] = w => w.WriteNumberValue(config.InitializerRange),
            ["inner_group_num"] = w => w.WriteNumberValue(config.InnerGroupNum),
            ["intermediate_size"] = w => w.WriteNumberValue(config.IntermediateSize),
            ["label2id"] = w => WriteLabel2Id(w, labels),
            ["layer_norm_eps"] = w => w.WriteNumberValue(config.LayerNormEps),
            ["max_position_embeddings"] = w => w.WriteNumberValue(config.MaxPositionEmbeddings),
            ["model_type"] = w => w.WriteStringValue("albert"),
            ["num_attention_heads"] = w => w.WriteNumberValue(config.NumAttentionHeads),
            ["num_hidden_groups"] = w => w.WriteNumberValue(config.NumHiddenGroups),
            ["num_hidden_layers"] = w => w.WriteNumberValue(config.NumHiddenLayers),
            ["pad_token_id"] = w => w.WriteNumberValue(config.PadTokenId),
            ["position_embedding_type"] = w => w.WriteStringValue(PositionTypeName(config.PositionEmbeddingType)),
            ["type_vocab_size"] = w => w.WriteNumberValue(config.TypeVocabSize),
            ["vocab_size"] = w => w.WriteNumberValue(config.VocabSize),
        };
        if (config.ProblemType is { } problem)
        {
            fields["problem_type"] = w => w.WriteStringValue(ProblemTypeName(problem));
        }

        if (dtype is { } type)
        {
            fields["torch_dtype"] = w => w.WriteStringValue(type switch
            {
                ScalarType.BFloat16 => "bfloat16",
                ScalarType.Float16 => "float16",
                ScalarType.Float64 => "float64",
                _ => "float32",
            });
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            foreach ((string name, Action<Utf8JsonWriter> write) in fields)
            {
                json.WritePropertyName(name);
                write(json);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>The <c>hidden_act</c> name of an activation.</summary>
    /// <param name="activation">The activation.</param>
    /// <returns>For example <c>gelu_new</c>.</returns>
    public static string ActivationName(AlbertActivation activation) => activation switch
    {
        AlbertActivation.Gelu => "gelu",
        AlbertActivation.GeluNew => "gelu_new",
        AlbertActivation.GeluFast => "gelu_fast",
        AlbertActivation.QuickGelu => "quick_gelu",
        AlbertActivation.Relu => "relu",
        AlbertActivation.Silu => "silu",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    private static string PositionTypeName(PositionEmbeddingType type) => type switch
    {
        PositionEmbeddingType.RelativeKey => "relative_key",
        PositionEmbeddingType.RelativeKeyQuery => "relative_key_query",
        _ => "absolute",
    };

    private static string ProblemTypeName(ProblemType type) => type switch
    {
        ProblemType.Regression => "regression",
        ProblemType.SingleLabelClassification => "single_label_classification",
        _ => "multi_label_classification",
    };

    private static void WriteStrings(Utf8JsonWriter w, IEnumerable<string> values)
    {
        w.WriteStartArray();
        foreach (string v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static void WriteId2Label(Utf8JsonWriter w, IReadOnlyList<string> labels)
    {
        w.WriteStartObject();
        for (int i = 0; i < labels.Count; i++)
        {
            w.WriteString(i.ToString(CultureInfo.InvariantCulture), labels[i]);
        }

        w.WriteEndObject();
    }

    private static void WriteLabel2Id(Utf8JsonWriter w, IReadOnlyList<string> labels)
    {
        w.WriteStartObject();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
        {
            if (seen.Add(labels[i]))
            {
                w.WriteNumber(labels[i], i);
            }
        }

        w.WriteEndObject();
    }
}
