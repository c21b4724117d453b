namespace AlbertGen.Training;

/// <summary>
/// Draws a run's loss curve next to its <c>loss_curve.csv</c>. The core package writes only the CSV; the
/// <c>AlbertGen.Training.Plots</c> package's <c>PngLossCurvePlotter</c> draws <c>loss_curve.png</c>.
/// </summary>
public interface ILossCurvePlotter
{
    /// <summary>Draws <paramref name="curve"/> into <paramref name="directory"/>.</summary>
    /// <param name="curve">The history so far.</param>
    /// <param name="directory">The run's (or checkpoint's) directory.</param>
    /// <param name="title">The plot's title.</param>
    void Plot(LossCurve curve, string directory, string title);
}
