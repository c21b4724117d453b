using System.Globalization;
using System.Text;

namespace AlbertGen.Training;

/// <summary>
/// The training history of a run: loss (and its parts, if it has several) and learning rate per logged step and evaluation
/// metrics, written next to the checkpoint as <c>loss_curve.csv</c> and, by an <see cref="ILossCurvePlotter"/>, drawn
/// (<c>loss_curve.png</c> with the <c>AlbertGen.Training.Plots</c> package).
/// </summary>
/// <remarks>
/// The CSV has the columns <c>step,kind,loss,learning_rate,metrics</c>. Training rows (<c>kind</c> = <c>train</c>) put the
/// loss's parts in <c>metrics</c> as <c>name=value</c> pairs separated by <c>;</c>, the way evaluation rows list their metrics.
/// </remarks>
public sealed class LossCurve
{
    private static readonly IReadOnlyDictionary<string, double> NoTerms = new Dictionary<string, double>();
    private readonly List<LossCurvePoint> _points = [];
    private readonly List<(long Step, EvaluationResult Result)> _evaluations = [];

    /// <summary>The logged training points.</summary>
    public IReadOnlyList<LossCurvePoint> Points => _points;

    /// <summary>The recorded evaluations, in the order they were made.</summary>
    public IReadOnlyList<(long Step, EvaluationResult Result)> Evaluations => _evaluations;

    /// <summary>Records a training point.</summary>
    /// <param name="step">Update number.</param>
    /// <param name="loss">Mean loss since the previous point.</param>
    /// <param name="learningRate">The learning rate.</param>
    /// <param name="terms">The loss's parts by name (see <see cref="LossCurvePoint.Terms"/>), if it has several.</param>
    public void Add(long step, double loss, double learningRate, IReadOnlyDictionary<string, double>? terms = null) =>
        _points.Add(new LossCurvePoint(step, loss, learningRate, terms ?? NoTerms));

    /// <summary>Records an evaluation.</summary>
    /// <param name="step">Update number.</param>
    /// <param name="result">The metrics.</param>
    public void AddEvaluation(long step, EvaluationResult result) => _evaluations.Add((step, result));

    /// <summary>
    /// Replaces the history with the points and evaluations read from a <c>loss_curve.csv</c> (used when a run resumes). An
    /// evaluation read back has its first metric as the primary one.
    /// </summary>
    /// <param name="path">The CSV file written by <see cref="Write"/>.</param>
    public void LoadCsv(string path)
    {
        _points.Clear();
        _evaluations.Clear();
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            string[] f = line.Split(',');
            if (f.Length >= 4 && f[1] == "train")
            {
                _points.Add(new LossCurvePoint(long.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture),
                    double.Parse(f[3], CultureInfo.InvariantCulture), f.Length > 4 ? ParseMetrics(f[4]) : NoTerms));
            }
            else if (f.Length >= 5 && f[1] == "eval" && ParseMetrics(f[4]) is { Count: > 0 } metrics)
            {
                _evaluations.Add((long.Parse(f[0], CultureInfo.InvariantCulture), new EvaluationResult(metrics, metrics.Keys.First())));
            }
        }
    }

    /// <summary>Writes <c>loss_curve.csv</c> (columns <c>step,kind,loss,learning_rate,metrics</c>) and has <paramref name="plotter"/> draw the curve.</summary>
    /// <param name="directory">Target directory.</param>
    /// <param name="title">Plot title.</param>
    /// <param name="plotter">Draws the curve; null writes the CSV only.</param>
    public void Write(string directory, string title, ILossCurvePlotter? plotter = null)
    {
        Directory.CreateDirectory(directory);
        var csv = new StringBuilder("step,kind,loss,learning_rate,metrics\n");
        foreach (LossCurvePoint point in _points)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{point.Step},train,{point.Loss:R},{point.LearningRate:R},{FormatMetrics(point.Terms)}\n");
        }

        foreach ((long step, EvaluationResult result) in _evaluations)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{step},eval,,,{FormatMetrics(result.Metrics)}\n");
        }

        // Written beside the target and renamed, so a resumed run never reads half a file.
        string path = Path.Combine(directory, "loss_curve.csv");
        AtomicFile.WriteAllText(path, csv.ToString());
        plotter?.Plot(this, directory, title);
    }

    private static string FormatMetrics(IEnumerable<KeyValuePair<string, double>> metrics) =>
        string.Join(";", metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:R}")));

    private static Dictionary<string, double> ParseMetrics(string field)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string pair in field.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                metrics[pair[..equals]] = double.Parse(pair[(equals + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return metrics;
    }
}
