namespace AlbertGen.Training;

/// <summary>The metrics of one evaluation pass.</summary>
/// <param name="Metrics">Metric values by name (<c>accuracy</c>, <c>f1</c>, <c>exact_match</c>, <c>mse</c>, <c>pearson</c>, …).</param>
/// <param name="PrimaryMetric">The metric early stopping and best-checkpoint selection use; higher is better.</param>
public sealed record EvaluationResult(IReadOnlyDictionary<string, double> Metrics, string PrimaryMetric)
{
    /// <summary>The value of <see cref="PrimaryMetric"/>.</summary>
    public double Primary => Metrics[PrimaryMetric];

    /// <summary><c>name=value</c> pairs.</summary>
    public override string ToString() => string.Join(", ", Metrics.Select(kv => $"{kv.Key}={kv.Value:0.####}"));
}
