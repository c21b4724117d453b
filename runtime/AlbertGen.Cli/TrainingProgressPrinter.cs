using System.Globalization;
using AlbertGen.Training;

namespace AlbertGen.Cli;

/// <summary>
/// Prints training progress: a line per report with step, loss, learning rate and throughput, so that logs of long
/// runs stay readable whether or not the error stream is a terminal.
/// </summary>
internal sealed class TrainingProgressPrinter(TextWriter writer) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value)
    {
        string text = value.Phase switch
        {
            TrainingPhase.Evaluation => $"epoch {value.Epoch + 1}: {value.Evaluation}",
            TrainingPhase.Checkpoint => $"step {value.Step}/{value.TotalSteps}: checkpoint saved",
            _ => string.Create(CultureInfo.InvariantCulture,
                $"step {value.Step}/{value.TotalSteps} ({100.0 * value.Step / Math.Max(1, value.TotalSteps):0.0} %)  loss {value.Loss:0.0000}  lr {value.LearningRate:0.00e+0}  {value.TokensPerSecond:0} tokens/s"),
        };
        lock (writer)
        {
            writer.WriteLine(text);
        }
    }
}
