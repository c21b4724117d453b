using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>The losses of HuggingFace's heads (mean reduction, as <c>torch.nn</c>'s defaults).</summary>
internal static class Losses
{
    /// <summary>HuggingFace's ignored label.</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Cross-entropy of <paramref name="logits"/> <c>[N, classes]</c> against <paramref name="labels"/> <c>[N]</c>.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, long ignoreIndex = IgnoreIndex) =>
        nn.functional.cross_entropy(logits, labels.to(ScalarType.Int64, logits.device), ignore_index: ignoreIndex);

    /// <summary>Mean squared error, labels converted to the logits' dtype.</summary>
    public static Tensor MeanSquaredError(Tensor predictions, Tensor labels) =>
        nn.functional.mse_loss(predictions, labels.to(predictions.dtype, predictions.device));

    /// <summary>Binary cross-entropy with logits, labels converted to the logits' dtype.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor labels) =>
        nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype, logits.device));
}
