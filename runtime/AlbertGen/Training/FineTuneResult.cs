namespace AlbertGen.Training;

/// <summary>What a fine-tuning run produced.</summary>
/// <param name="OutputDirectory">The checkpoint directory (the best evaluation's model when evaluating, else the last).</param>
/// <param name="Steps">Updates made.</param>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="FinalLoss">Mean training loss of the last epoch.</param>
/// <param name="Evaluations">One evaluation per epoch (empty without evaluation data).</param>
/// <param name="BestEvaluation">The evaluation whose model was saved, or null.</param>
/// <param name="StoppedEarly">Whether early stopping ended the run.</param>
/// <param name="LabelNames">The label names written as <c>id2label</c> (empty for QA and multiple choice).</param>
public sealed record FineTuneResult(
    string OutputDirectory,
    long Steps,
    int Epochs,
    double FinalLoss,
    IReadOnlyList<EvaluationResult> Evaluations,
    EvaluationResult? BestEvaluation,
    bool StoppedEarly,
    IReadOnlyList<string> LabelNames)
{
    /// <summary>The settings the run used and where each came from.</summary>
    public FineTuneSettings? Settings { get; init; }
}
