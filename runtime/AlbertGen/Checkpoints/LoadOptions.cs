using static TorchSharp.torch;

namespace AlbertGen.Checkpoints;

/// <summary>How <c>LoadWeights</c> / <c>FromPretrained</c> treat a checkpoint.</summary>
public sealed class LoadOptions
{
    /// <summary>
    /// When true (default), a weight the model needs but the checkpoint lacks, or a checkpoint key that belongs to no ALBERT
    /// model, is a <see cref="CheckpointException"/>. Weights of other ALBERT heads (for example <c>sop_classifier</c>
    /// when loading a masked-LM model from a pretraining checkpoint) are never an error; they are reported as unexpected.
    /// </summary>
    public bool Strict { get; init; } = true;

    /// <summary>
    /// Preparing for fine-tuning: head weights (<c>classifier</c>, <c>qa_outputs</c>, …) missing from the checkpoint keep their
    /// fresh random initialisation and are listed in <see cref="LoadReport.InitializedKeys"/> instead of failing.
    /// Body weights are still required.
    /// </summary>
    public bool InitializeMissingHeads { get; init; }

    /// <summary>Device to move the model to before loading; null keeps its device.</summary>
    public Device? Device { get; init; }

    /// <summary>Parameter dtype (float32, bfloat16, float16) to convert the model to before loading; null keeps it.</summary>
    public ScalarType? DType { get; init; }
}
