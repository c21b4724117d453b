using AlbertGen.Training;

namespace AlbertGen.Tests.Training;

/// <summary><c>loss_curve.csv</c> keeps each point's loss parts, and a resumed run reads them back.</summary>
public class LossCurveTests
{
    [Fact]
    public void Points_with_and_without_loss_parts_survive_writing_and_reading_the_csv()
    {
        using var dir = new TempDirectory("training");
        var curve = new LossCurve();
        curve.Add(10, 7.25, 1e-4, new Dictionary<string, double> { ["masked_lm"] = 6.5, ["sentence_order"] = 0.75 });
        curve.Add(20, 0.1 + 0.2, 3e-4); // 0.30000000000000004: written exactly ("R")
        curve.Write(dir.Path, "test", new PngLossCurvePlotter());

        string[] lines = File.ReadAllLines(Path.Combine(dir.Path, "loss_curve.csv"));
        Assert.Equal("step,kind,loss,learning_rate,metrics", lines[0]);
        Assert.Equal("10,train,7.25,0.0001,masked_lm=6.5;sentence_order=0.75", lines[1]);
        Assert.True(new FileInfo(Path.Combine(dir.Path, "loss_curve.png")).Length > 1000, "no plot was drawn");
        Assert.False(File.Exists(Path.Combine(dir.Path, "loss_curve.png.tmp")));

        using var csvOnly = new TempDirectory("training");
        curve.Write(csvOnly.Path, "test"); // no plotter: the core package writes the CSV alone
        Assert.True(File.Exists(Path.Combine(csvOnly.Path, "loss_curve.csv")));
        Assert.False(File.Exists(Path.Combine(csvOnly.Path, "loss_curve.png")));

        var read = new LossCurve();
        read.LoadCsv(Path.Combine(dir.Path, "loss_curve.csv"));
        Assert.Equal(2, read.Points.Count);
        Assert.Equal((10L, 7.25, 1e-4), (read.Points[0].Step, read.Points[0].Loss, read.Points[0].LearningRate));
        Assert.Equal(new Dictionary<string, double> { ["masked_lm"] = 6.5, ["sentence_order"] = 0.75 }, read.Points[0].Terms);
        Assert.Equal((20L, 0.1 + 0.2, 3e-4), (read.Points[1].Step, read.Points[1].Loss, read.Points[1].LearningRate));
        Assert.Empty(read.Points[1].Terms);
    }
}
