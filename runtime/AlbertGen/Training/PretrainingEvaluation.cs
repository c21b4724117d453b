using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// Evaluates a pretraining model the way ALBERT's <c>run_pretraining.py</c> does (its <c>metric_fn</c>): masked-LM accuracy
/// and loss over the masked positions, sentence-order accuracy and loss over the sequences.
/// </summary>
public static class PretrainingEvaluation
{
    /// <summary>Share of masked positions whose most likely token is the original one.</summary>
    public const string MaskedLmAccuracy = "masked_lm_accuracy";

    /// <summary>Mean cross-entropy over the masked positions.</summary>
    public const string MaskedLmLoss = "masked_lm_loss";

    /// <summary>Share of sequences whose segment order (kept or swapped) is predicted right.</summary>
    public const string SentenceOrderAccuracy = "sentence_order_accuracy";

    /// <summary>Mean cross-entropy of the sentence-order prediction.</summary>
    public const string SentenceOrderLoss = "sentence_order_loss";

    /// <summary>
    /// Runs <paramref name="model"/> without gradients over <paramref name="instances"/> in batches of
    /// <paramref name="batchSize"/> and returns the four metrics (primary: <see cref="MaskedLmAccuracy"/>). The model is
    /// put in evaluation mode and returned to the mode it was in.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="instances">Masked sentence-order instances (<see cref="SentenceOrderPairs"/>).</param>
    /// <param name="batchSize">Sequences per forward pass.</param>
    /// <param name="padTokenId">Id of the padding token.</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentException">There are no instances, or none has a masked position.</exception>
    internal static EvaluationResult Evaluate(AlbertForPreTraining model, IReadOnlyList<PretrainingInstance> instances, int batchSize, int padTokenId)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (instances.Count == 0)
        {
            throw new ArgumentException("There are no instances to evaluate on.", nameof(instances));
        }

        bool wasTraining = model.training;
        model.eval();
        try
        {
            double maskedLmLossSum = 0, sentenceOrderLossSum = 0;
            long masked = 0, maskedLmCorrect = 0, sentenceOrderCorrect = 0;
            using var noGrad = no_grad();
            for (int start = 0; start < instances.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var rows = instances.Skip(start).Take(batchSize).ToList();
                (AlbertInputs inputs, _) = Pretrainer.Collate(rows, padTokenId, model.Device);
                (Tensor logits, Tensor labels, Tensor orderLogits) = model.PredictAtLabels(inputs);
                Tensor order = inputs.SentenceOrderLabel!;
                masked += labels.shape[0];
                maskedLmLossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).ToDouble();
                maskedLmCorrect += logits.argmax(-1).eq(labels).sum().ToInt64();
                sentenceOrderLossSum += nn.functional.cross_entropy(orderLogits, order, reduction: nn.Reduction.Sum).ToDouble();
                sentenceOrderCorrect += orderLogits.argmax(-1).eq(order).sum().ToInt64();
            }

            if (masked == 0)
            {
                throw new ArgumentException("No instance has a masked position.", nameof(instances));
            }

            var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                [MaskedLmAccuracy] = (double)maskedLmCorrect / masked,
                [MaskedLmLoss] = maskedLmLossSum / masked,
                [SentenceOrderAccuracy] = (double)sentenceOrderCorrect / instances.Count,
                [SentenceOrderLoss] = sentenceOrderLossSum / instances.Count,
            };
            return new EvaluationResult(metrics, MaskedLmAccuracy);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
