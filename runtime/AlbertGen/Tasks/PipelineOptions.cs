using AlbertGen.Checkpoints;

namespace AlbertGen.Tasks;

/// <summary>
/// Settings every task pipeline shares: how many inputs go through the model at once, how long an input may be, and how
/// the model is loaded when the pipeline creates it from a directory.
/// </summary>
public sealed record PipelineOptions
{
    /// <summary>The defaults: batches of 8, truncation to the model's maximum length.</summary>
    public static PipelineOptions Default { get; } = new();

    /// <summary>
    /// Inputs (or windows, or choices) per forward call. Each batch is padded to its longest row. Default 8.
    /// Larger batches are faster until the machine is saturated; padding never changes a row's result beyond float rounding.
    /// </summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>
    /// Longest input, special tokens included. Null (default) = the model's maximum: the smaller of the tokenizer's
    /// <see cref="Tokenization.AlbertTokenizer.MaxLength"/> and the config's <c>max_position_embeddings</c>. A larger value
    /// than the model's maximum is refused.
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>
    /// Whether inputs longer than <see cref="MaxLength"/> are cut to it (default true, the longest sequence of a pair
    /// first). When false, such an input is an <see cref="ArgumentException"/> naming its length and the limit.
    /// Question answering is not affected: long contexts are always split into overlapping windows.
    /// </summary>
    public bool Truncation { get; init; } = true;

    /// <summary>
    /// Which tokenizer <c>FromPretrained</c> loads: <see cref="Tokenization.TokenizerKind.Auto"/> (default) the fast one when
    /// the directory has <c>tokenizer.json</c>, else the slow one from <c>spiece.model</c>, as HuggingFace's
    /// <c>AutoTokenizer</c> does; or either explicitly.
    /// </summary>
    public Tokenization.TokenizerKind Tokenizer { get; init; }

    /// <summary>How <c>FromPretrained</c> loads the weights (device, dtype, strictness); null = defaults.</summary>
    public LoadOptions? LoadOptions { get; init; }

    /// <summary>
    /// The device the pipeline runs its model on (<see cref="AlbertDevice.Parse"/> turns <c>cpu</c>, <c>cuda</c>,
    /// <c>cuda:N</c> or <c>auto</c> into one): <c>FromPretrained</c> loads the model there, and a pipeline built from a model
    /// instance refuses a model on another device. Inputs are made there once per batch; results come back to the CPU once.
    /// Null (default): <see cref="LoadOptions"/>' device, else the CPU (for <c>FromPretrained</c>), or the model's device.
    /// </summary>
    public TorchSharp.torch.Device? Device { get; init; }

    /// <summary>
    /// How the pipeline compiles its model for inference (bfloat16 products, a forced kernel, CPU features); null = defaults
    /// (see <see cref="Inference.InferenceOptions"/>).
    /// </summary>
    public Inference.InferenceOptions? Inference { get; init; }
}
