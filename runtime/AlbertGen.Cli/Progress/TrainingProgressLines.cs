using System.Globalization;
using AlbertGen.Training;

namespace AlbertGen.Cli.Progress;

/// <summary>
/// Training progress as lines (step, loss, learning rate, throughput), for logs and redirected output; the terminal
/// gets a live bar instead (<see cref="TerminalProgress"/>).
/// </summary>
internal sealed class TrainingProgressLines(TextWriter writer) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value)
    {
        lock (writer)
        {
            writer.WriteLine(Format(value));
        }
    }

    /// <summary>The line of one report.</summary>
    public static string Format(TrainingProgress value) => value.Phase switch
    {
        TrainingPhase.Evaluation => $"evaluation after epoch {value.Epoch + 1}, step {value.Step}: {value.Evaluation}",
        TrainingPhase.Checkpoint => $"step {value.Step}/{value.TotalSteps}: checkpoint saved",
        _ => $"step {value.Step}/{value.TotalSteps} ({100.0 * value.Step / Math.Max(1, value.TotalSteps):0.0} %)  {Describe(value)}",
    };

    /// <summary>Loss (with its parts, if it has several), learning rate and throughput of a training report.</summary>
    public static string Describe(TrainingProgress value)
    {
        string terms = value.LossTerms is { Count: > 0 } parts
            ? " (" + string.Join(", ", parts.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key.Replace('_', ' ')} {kv.Value:0.0000}"))) + ")"
            : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"loss {value.Loss:0.0000}{terms}  lr {value.LearningRate:0.00e+0}  {value.TokensPerSecond:0} tokens/s");
    }
}
