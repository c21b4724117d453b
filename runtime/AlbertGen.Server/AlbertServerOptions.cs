using AlbertGen.Checkpoints;
using AlbertGen.Inference;
using AlbertGen.Tasks;

namespace AlbertGen.Server;

/// <summary>
/// What <c>albertgen serve</c> serves and its limits. The names and defaults of the limits are those of HuggingFace's
/// text-embeddings-inference (TEI), so a deployment written for TEI reads the same.
/// </summary>
public sealed record AlbertServerOptions
{
    /// <summary>The HuggingFace-layout model directory (<c>config.json</c>, weights, <c>spiece.model</c>).</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>The model's name in <c>/info</c>, <c>/v1/models</c> and OpenAI responses; null = the directory's name.</summary>
    public string? ModelId { get; init; }

    /// <summary>
    /// Further models served beside <see cref="ModelDirectory"/> (<c>--model NAME=DIR</c>), each with its own queue and
    /// batcher. A request chooses one with its body's <c>"model"</c> field; without it, the first model answers.
    /// </summary>
    public IReadOnlyList<ServedModelSource> AdditionalModels { get; init; } = [];

    /// <summary>Every served model: the first (<see cref="ModelDirectory"/> as <see cref="EffectiveModelId"/>), then <see cref="AdditionalModels"/>.</summary>
    public IReadOnlyList<ServedModelSource> Models => [new(EffectiveModelId, ModelDirectory), .. AdditionalModels];

    /// <summary>
    /// Most tokens one forward pass may hold, counted padded (rows × longest row), as TEI's <c>--max-batch-tokens</c>.
    /// A single input longer than this still runs, alone. Default 16384.
    /// </summary>
    public int MaxBatchTokens { get; init; } = 16384;

    /// <summary>Most rows one forward pass may hold; null = limited by <see cref="MaxBatchTokens"/> only.</summary>
    public int? MaxBatchRequests { get; init; }

    /// <summary>
    /// Largest share of a forward pass's padded tokens that may be padding, between 0 and 1. Inputs of similar length are
    /// batched together; one that would push the padding over this share waits for a batch of its own length. Default
    /// 0.25: models the size of ALBERT-base compute padding at the cost of real tokens (see <c>benchmarks/README.md</c>);
    /// 1 batches regardless of length, which suits small models whose passes cost mostly fixed overhead.
    /// </summary>
    public double MaxBatchPadding { get; init; } = 0.25;

    /// <summary>Requests in flight (queued or running) before new ones get 429 at once. Default 512, as TEI.</summary>
    public int MaxConcurrentRequests { get; init; } = 512;

    /// <summary>Most inputs in one request; a larger client batch gets 413. Default 32, as TEI.</summary>
    public int MaxClientBatchSize { get; init; } = 32;

    /// <summary>
    /// Whether inputs longer than the model are cut when a request does not say (<c>"truncate"</c>). Default true; with
    /// false, an overlong input is a 413 unless the request asks for truncation.
    /// </summary>
    public bool AutoTruncate { get; init; } = true;

    /// <summary>Pooling of <c>/embed</c> and <c>/v1/embeddings</c>: the default of <c>albertgen embed</c>, mean.</summary>
    public EmbeddingPooling Pooling { get; init; } = EmbeddingPooling.Mean;

    /// <summary>How the weights are loaded (device, dtype, strictness); null = defaults.</summary>
    public LoadOptions? LoadOptions { get; init; }

    /// <summary>
    /// How the model's inference session runs (for example <c>MatMulDType = BFloat16</c> for <c>--bf16</c>, or a forced
    /// kernel); null = kernels chosen from the CPU, float32 products.
    /// </summary>
    public InferenceOptions? Inference { get; init; }

    /// <summary>Whether <c>GET /</c> serves the playground page (<c>--no-playground</c> turns it off). Default true.</summary>
    public bool Playground { get; init; } = true;

    /// <summary>When set, every route except <c>/health</c> needs <c>Authorization: Bearer &lt;key&gt;</c> (401 otherwise).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Checks the limits; throws <see cref="ArgumentException"/> naming the first one out of range.</summary>
    /// <exception cref="ArgumentException">A limit is out of range or the model directory is empty.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelDirectory))
        {
            throw new ArgumentException("ModelDirectory must name the model's folder.");
        }

        foreach (ServedModelSource model in AdditionalModels)
        {
            if (string.IsNullOrWhiteSpace(model.Name) || string.IsNullOrWhiteSpace(model.Directory))
            {
                throw new ArgumentException($"a served model needs a name and a folder (--model NAME=DIR), not '{model.Name}={model.Directory}'.");
            }
        }

        if (Models.GroupBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"two served models are named '{twice.Key}'; give each --model NAME=DIR its own name.");
        }

        Positive(MaxBatchTokens, "max-batch-tokens");
        Positive(MaxConcurrentRequests, "max-concurrent-requests");
        Positive(MaxClientBatchSize, "max-client-batch-size");
        if (MaxBatchRequests is int requests)
        {
            Positive(requests, "max-batch-requests");
        }

        if (MaxBatchPadding is < 0 or > 1 || double.IsNaN(MaxBatchPadding))
        {
            throw new ArgumentException($"max-batch-padding must be between 0 and 1, not {MaxBatchPadding}.");
        }

        if (ApiKey is { Length: 0 })
        {
            throw new ArgumentException("the API key must not be empty (omit it to serve without one).");
        }
    }

    /// <summary>The name clients see: <see cref="ModelId"/> or the directory's name.</summary>
    public string EffectiveModelId => ModelId ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(ModelDirectory)));

    private static void Positive(int value, string name)
    {
        if (value < 1)
        {
            throw new ArgumentException($"{name} must be at least 1, not {value}.");
        }
    }
}

/// <summary>One model a server serves: the name requests choose it by (<c>"model"</c>) and its folder.</summary>
/// <param name="Name">The name in requests, <c>/v1/models</c>, <c>/info</c> and the metrics' <c>model</c> label.</param>
/// <param name="Directory">The HuggingFace-layout model directory.</param>
public sealed record ServedModelSource(string Name, string Directory);
