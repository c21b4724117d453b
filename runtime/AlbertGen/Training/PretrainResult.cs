namespace AlbertGen.Training;

/// <summary>What a pretraining run (or piece of one) produced.</summary>
/// <param name="OutputDirectory">Directory of the model (HuggingFace layout) and loss curve.</param>
/// <param name="Steps">Updates made in total (including those before a resume).</param>
/// <param name="ResumedFromStep">The step the run resumed from, or 0.</param>
/// <param name="FirstLoss">Mean loss of the first logged interval of this run.</param>
/// <param name="LastLoss">Mean loss of the last logged interval.</param>
/// <param name="TokensPerSecond">Mean throughput of this run (real tokens, forward + backward + update).</param>
/// <param name="Completed">Whether <see cref="PretrainOptions.MaxSteps"/> was reached.</param>
/// <param name="Evaluation">The evaluation at the end of the run (<see cref="PretrainingEvaluation"/>), or null when it was off or the run was cancelled.</param>
public sealed record PretrainResult(
    string OutputDirectory, long Steps, long ResumedFromStep, double FirstLoss, double LastLoss, double TokensPerSecond, bool Completed, EvaluationResult? Evaluation = null);
