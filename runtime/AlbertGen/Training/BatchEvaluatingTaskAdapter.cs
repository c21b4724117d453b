using static TorchSharp.torch;

namespace AlbertGen.Training;

/// <summary>
/// A task whose evaluation is the argmax (or threshold) of the head's output on the training encoding of each example:
/// batches of rows are collected, then scored together.
/// </summary>
internal abstract class BatchEvaluatingTaskAdapter(Tokenization.AlbertTokenizer tokenizer, FineTuneOptions options, FineTuneSettings settings)
    : TaskAdapter(tokenizer, options, settings)
{
    /// <summary>The examples of the evaluation pass in progress.</summary>
    protected IReadOnlyList<TrainingExample> EvaluationExamples { get; private set; } = [];

    public override EvaluationResult Evaluate(IReadOnlyList<TrainingExample> examples, List<EncodedExample> rows, int batchSize, int padId)
    {
        EvaluationExamples = examples;
        ClearPredictions();
        for (int start = 0; start < rows.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            using TrainingBatch batch = TrainingBatch.Collate(rows.Skip(start).Take(batchSize).ToList(), Options.Task, padId, withLabels: false, Device);
            Collect(batch);
        }

        return EndEvaluation();
    }

    /// <summary>Forgets the predictions of an earlier pass.</summary>
    protected abstract void ClearPredictions();

    /// <summary>Forward pass without gradients; keeps the predictions of the batch.</summary>
    protected abstract void Collect(TrainingBatch batch);

    /// <summary>Scores the predictions collected over <see cref="EvaluationExamples"/>.</summary>
    protected abstract EvaluationResult EndEvaluation();
}
