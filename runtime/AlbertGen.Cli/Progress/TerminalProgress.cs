using AlbertGen.Hub;
using AlbertGen.Training;
using Spectre.Console;

namespace AlbertGen.Cli.Progress;

/// <summary>
/// Progress of long work: live Spectre.Console bars when the error stream is an interactive terminal, otherwise
/// (redirected, in tests, in CI) plain lines, so logs stay readable.
/// </summary>
internal static class TerminalProgress
{
    /// <summary>Whether <paramref name="error"/> is the process's own, interactive error stream.</summary>
    public static bool IsInteractive(TextWriter error) =>
        ReferenceEquals(error, System.Console.Error) && !System.Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;

    /// <summary>Runs training work, reporting through a bar with loss, learning rate and throughput.</summary>
    public static async Task<T> TrainAsync<T>(CliContext context, string title, Func<IProgress<TrainingProgress>, Task<T>> work)
    {
        if (!IsInteractive(context.Error))
        {
            return await work(new TrainingProgressLines(context.Error));
        }

        IAnsiConsole console = SpectreConsole(context);
        return await console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                ProgressTask task = progress.AddTask(Markup.Escape(title));
                return await work(new Progress(value =>
                {
                    task.MaxValue = Math.Max(1, value.TotalSteps);
                    task.Value = value.Step;
                    if (value.Phase == TrainingPhase.Training)
                    {
                        task.Description = Markup.Escape($"{title}  {TrainingProgressLines.Describe(value)}");
                    }
                    else
                    {
                        console.MarkupLine(Markup.Escape(TrainingProgressLines.Format(value))); // stays on screen above the bar
                    }
                }));
            });
    }

    /// <summary>Runs a download, with a bar per file.</summary>
    public static async Task<T> DownloadAsync<T>(CliContext context, Func<IProgress<DownloadProgress>, Task<T>> work)
    {
        if (!IsInteractive(context.Error))
        {
            return await work(new DownloadProgressLines(context.Error));
        }

        return await SpectreConsole(context).Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .StartAsync(async progress =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                return await work(new Progress<DownloadProgress>(value =>
                {
                    lock (tasks)
                    {
                        if (!tasks.TryGetValue(value.File, out ProgressTask? task))
                        {
                            task = progress.AddTask(Markup.Escape(value.File), autoStart: true, maxValue: Math.Max(1, value.TotalBytes ?? 1));
                            tasks[value.File] = task;
                        }

                        if (value.TotalBytes is > 0)
                        {
                            task.MaxValue = value.TotalBytes.Value;
                        }

                        switch (value.Stage)
                        {
                            case DownloadStage.Downloading:
                                task.Value = value.BytesTransferred;
                                break;
                            case DownloadStage.Completed or DownloadStage.AlreadyCached or DownloadStage.NotPresent:
                                task.Description = Markup.Escape($"{value.File} ({value.Stage.ToString().ToLowerInvariant()})");
                                task.Value = task.MaxValue;
                                task.StopTask();
                                break;
                            case DownloadStage.Retrying:
                                task.Description = Markup.Escape($"{value.File} (retrying: {value.Message})");
                                break;
                        }
                    }
                }));
            });
    }

    private static IAnsiConsole SpectreConsole(CliContext context) =>
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Error) });

    /// <summary>Forwards reports synchronously (System.Progress would post them to the thread pool, out of order).</summary>
    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
