namespace AlbertGen.Training;

/// <summary>What a progress report is about.</summary>
public enum TrainingPhase
{
    /// <summary>An optimizer update (reported every <c>LoggingSteps</c> updates).</summary>
    Training,

    /// <summary>An evaluation pass finished; <see cref="TrainingProgress.Evaluation"/> is set.</summary>
    Evaluation,

    /// <summary>A checkpoint was written.</summary>
    Checkpoint,
}

/// <summary>A progress report of <see cref="FineTuner"/> or <see cref="Pretrainer"/>.</summary>
/// <param name="Phase">What happened.</param>
/// <param name="Step">Optimizer updates made so far.</param>
/// <param name="TotalSteps">Updates the run will make.</param>
/// <param name="Epoch">Current epoch (0-based; fractional progress is <see cref="Step"/> / <see cref="TotalSteps"/>).</param>
/// <param name="Loss">Mean training loss since the previous report.</param>
/// <param name="LearningRate">Learning rate of the last update.</param>
/// <param name="TokensPerSecond">Real (non-padding) tokens processed per second since the previous report.</param>
/// <param name="Evaluation">Evaluation metrics (evaluation reports only).</param>
public sealed record TrainingProgress(
    TrainingPhase Phase,
    long Step,
    long TotalSteps,
    int Epoch,
    double Loss,
    double LearningRate,
    double TokensPerSecond,
    EvaluationResult? Evaluation = null)
{
    /// <summary>
    /// The parts of <see cref="Loss"/> by name, each a mean over the same updates, when the loss has several (pretraining:
    /// <c>masked_lm</c> and <c>sentence_order</c>); otherwise null.
    /// </summary>
    public IReadOnlyDictionary<string, double>? LossTerms { get; init; }
}
