using System.Text.Json;
using System.Text.Json.Serialization;
using AlbertGen.Inference;
using AlbertGen.Tasks;

namespace AlbertGen.Batch;

/// <summary>
/// Which task a <see cref="JsonlTask"/> runs and with what options, as plain data: the command line builds it from its
/// options, and the cluster stores it in a job and sends it to every silo as JSON.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "task")]
[JsonDerivedType(typeof(EmbedLinesSettings), EmbedLinesSettings.Name)]
[JsonDerivedType(typeof(ClassifyLinesSettings), ClassifyLinesSettings.Name)]
[JsonDerivedType(typeof(TagLinesSettings), TagLinesSettings.Name)]
[JsonDerivedType(typeof(FillMaskLinesSettings), FillMaskLinesSettings.Name)]
public abstract record JsonlTaskSettings
{
    private static readonly JsonSerializerOptions JsonOptions = new() { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) } };

    /// <summary>The task's command name: <c>embed</c>, <c>classify</c>, <c>tag</c> or <c>fill-mask</c>.</summary>
    [JsonIgnore]
    public abstract string TaskName { get; }

    /// <summary>Inputs per forward pass (default 8, as the command line).</summary>
    public int BatchSize { get; init; } = AlbertGen.Tasks.PipelineOptions.Default.BatchSize;

    /// <summary>Whether inputs longer than the model's maximum are cut (default) or refused.</summary>
    public bool Truncation { get; init; } = true;

    /// <summary>Whether the transformer's matrix products run in bfloat16.</summary>
    public bool Bf16 { get; init; }

    /// <summary>Whether the transformer's matrix products run in int8 (dynamic quantisation; see <see cref="InferenceOptions.Int8"/>).</summary>
    public bool Int8 { get; init; }

    /// <summary>Which tokenizer the model folder's files load as (<c>--tokenizer</c>; default: as HuggingFace's <c>AutoTokenizer</c>).</summary>
    public Tokenization.TokenizerKind Tokenizer { get; init; }

    /// <summary>
    /// The device the pipeline runs on (null: the CPU). Not part of the JSON: the process that runs the task chooses it
    /// (<c>--device</c> of the command, or of <c>cluster silo</c> for a cluster's shards).
    /// </summary>
    [JsonIgnore]
    public TorchSharp.torch.Device? Device { get; init; }

    /// <summary>The pipeline options these settings describe.</summary>
    public PipelineOptions ToPipelineOptions() => PipelineOptionsFor(BatchSize, Truncation, Bf16, Int8, Tokenizer) with { Device = Device };

    /// <summary>Pipeline options from the command line's <c>--batch-size</c>, <c>--no-truncation</c>, <c>--bf16</c>, <c>--int8</c> and <c>--tokenizer</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="batchSize"/> is less than 1, or both <paramref name="bf16"/> and <paramref name="int8"/> are set.</exception>
    public static PipelineOptions PipelineOptionsFor(int batchSize, bool truncation, bool bf16, bool int8, Tokenization.TokenizerKind tokenizer)
    {
        if (bf16 && int8)
        {
            throw new ArgumentException("--bf16 and --int8 exclude each other; choose one.");
        }

        if (batchSize < 1)
        {
            throw new ArgumentException($"--batch-size must be at least 1, not {batchSize}.");
        }

        return new PipelineOptions
        {
            BatchSize = batchSize,
            Truncation = truncation,
            Inference = bf16 ? new InferenceOptions { MatMulDType = TorchSharp.torch.ScalarType.BFloat16 }
                : int8 ? new InferenceOptions { Int8 = true }
                : null,
            Tokenizer = tokenizer,
        };
    }

    /// <summary>The settings as JSON (with a <c>task</c> field naming the task).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Settings from <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">The text is not such settings.</exception>
    public static JsonlTaskSettings FromJson(string json) =>
        JsonSerializer.Deserialize<JsonlTaskSettings>(json, JsonOptions) ?? throw new JsonException("task settings are null.");

    /// <summary>Loads the pipeline from a model folder.</summary>
    internal abstract JsonlTask Open(string modelDirectory);
}
