using System.Globalization;
using System.Text;
using ScottPlot;

namespace AlbertGen.Training;

/// <summary>
/// The training history of a run: loss and learning rate per logged step and evaluation metrics, written next to the
/// checkpoint as <c>loss_curve.csv</c> and <c>loss_curve.png</c>.
/// </summary>
public sealed class LossCurve
{
    private readonly List<(long Step, double Loss, double LearningRate)> _points = [];
    private readonly List<(long Step, EvaluationResult Result)> _evaluations = [];

    /// <summary>The logged training points.</summary>
    public IReadOnlyList<(long Step, double Loss, double LearningRate)> Points => _points;

    /// <summary>Records a training point.</summary>
    /// <param name="step">Update number.</param>
    /// <param name="loss">Mean loss since the previous point.</param>
    /// <param name="learningRate">The learning rate.</param>
    public void Add(long step, double loss, double learningRate) => _points.Add((step, loss, learningRate));

    /// <summary>Records an evaluation.</summary>
    /// <param name="step">Update number.</param>
    /// <param name="result">The metrics.</param>
    public void AddEvaluation(long step, EvaluationResult result) => _evaluations.Add((step, result));

    /// <summary>Replaces the history with points read from a <c>loss_curve.csv</c> (used when a run resumes).</summary>
    /// <param name="path">The CSV file written by <see cref="Write"/>.</param>
    public void LoadCsv(string path)
    {
        _points.Clear();
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            string[] f = line.Split(',');
            if (f.Length >= 3 && f[1] == "train")
            {
                _points.Add((long.Parse(f[0], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture),
                    double.Parse(f[3], CultureInfo.InvariantCulture)));
            }
        }
    }

    /// <summary>Writes <c>loss_curve.csv</c> (columns <c>step,kind,loss,learning_rate,metrics</c>) and <c>loss_curve.png</c>.</summary>
    /// <param name="directory">Target directory.</param>
    /// <param name="title">Plot title.</param>
    public void Write(string directory, string title)
    {
        Directory.CreateDirectory(directory);
        var csv = new StringBuilder("step,kind,loss,learning_rate,metrics\n");
        foreach ((long step, double loss, double lr) in _points)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{step},train,{loss:R},{lr:R},\n");
        }

        foreach ((long step, EvaluationResult result) in _evaluations)
        {
            string metrics = string.Join(";", result.Metrics.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:R}")));
            csv.Append(CultureInfo.InvariantCulture, $"{step},eval,,,{metrics}\n");
        }

        File.WriteAllText(Path.Combine(directory, "loss_curve.csv"), csv.ToString());

        var plot = new Plot();
        if (_points.Count > 0)
        {
            var line = plot.Add.Scatter(_points.Select(p => (double)p.Step).ToArray(), _points.Select(p => p.Loss).ToArray());
            line.LegendText = "training loss";
            line.MarkerSize = _points.Count > 50 ? 0 : 4;
        }

        plot.Title(title);
        plot.XLabel("update");
        plot.YLabel("loss");
        plot.SavePng(Path.Combine(directory, "loss_curve.png"), 800, 500);
    }
}
