using ScottPlot;

namespace AlbertGen.Training;

/// <summary>
/// Draws a run's <see cref="LossCurve"/> as <c>loss_curve.png</c> (800 × 500, headless): the training loss, its parts
/// when it has several (pretraining's masked-LM and sentence-order losses), per update.
/// </summary>
/// <example><code>
/// var options = new FineTuneOptions { …, LossCurvePlotter = new PngLossCurvePlotter() };
/// </code></example>
public sealed class PngLossCurvePlotter : ILossCurvePlotter
{
    /// <summary>The file written into the run's directory.</summary>
    public const string FileName = "loss_curve.png";

    /// <inheritdoc />
    public void Plot(LossCurve curve, string directory, string title)
    {
        ArgumentNullException.ThrowIfNull(curve);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(title);
        var plot = new Plot();
        IReadOnlyList<LossCurvePoint> points = curve.Points;
        if (points.Count > 0)
        {
            double[] steps = [.. points.Select(p => (double)p.Step)];
            AddLine(plot, steps, [.. points.Select(p => p.Loss)], "training loss");
            string[] terms = [.. points.SelectMany(p => p.Terms.Keys).Distinct(StringComparer.Ordinal)];
            foreach (string term in terms)
            {
                AddLine(plot, steps, [.. points.Select(p => p.Terms.TryGetValue(term, out double v) ? v : double.NaN)], term.Replace('_', ' '));
            }

            if (terms.Length > 0)
            {
                plot.ShowLegend(Alignment.UpperRight); // losses fall, so the upper right stays clear
            }
        }

        plot.Title(title);
        plot.XLabel("update");
        plot.YLabel("loss");
        Directory.CreateDirectory(directory);

        // Rendered beside the target and renamed, so an interrupted run never leaves half a PNG.
        string path = Path.Combine(directory, FileName);
        string temporary = path + ".tmp";
        try
        {
            plot.SavePng(temporary, 800, 500);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // only still there when saving or the rename failed
        }
    }

    private static void AddLine(Plot plot, double[] steps, double[] values, string label)
    {
        var line = plot.Add.Scatter(steps, values);
        line.LegendText = label;
        line.MarkerSize = steps.Length > 50 ? 0 : 4;
    }
}
