using System.Globalization;
using AlbertGen.Cluster.Jobs;

namespace AlbertGen.Cli.Progress;

/// <summary>
/// A cluster job's progress: lines done, lines per second, ETA and shards running per silo. One line rewritten in place
/// on a terminal; elsewhere a plain line when a shard finishes or every 10 s.
/// </summary>
internal sealed class ClusterJobProgress(TextWriter writer, bool interactive)
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(10);
    private readonly Queue<(DateTime Time, long Lines)> window = new();
    private DateTime lastPlain = DateTime.MinValue;
    private int lastShardsDone = -1;
    private int lastWidth;

    public void Report(JobProgress progress)
    {
        DateTime now = DateTime.UtcNow;
        window.Enqueue((now, progress.LinesDone));
        while (window.Count > 2 && now - window.Peek().Time > TimeSpan.FromSeconds(30))
        {
            window.Dequeue();
        }

        string line = Format(progress, Rate());
        if (interactive)
        {
            writer.Write("\r" + line.PadRight(lastWidth));
            lastWidth = line.Length;
        }
        else if (progress.ShardsDone != lastShardsDone || now - lastPlain >= PlainInterval)
        {
            writer.WriteLine(line);
            lastPlain = now;
        }

        lastShardsDone = progress.ShardsDone;
    }

    /// <summary>Ends the rewritten line.</summary>
    public void End()
    {
        if (interactive && lastWidth > 0)
        {
            writer.WriteLine();
        }
    }

    /// <summary>Lines per second over the last 30 s of polls.</summary>
    private double Rate()
    {
        var (firstTime, firstLines) = window.Peek();
        var (lastTime, lastLines) = window.Last();
        double seconds = (lastTime - firstTime).TotalSeconds;
        return seconds > 0 ? (lastLines - firstLines) / seconds : 0;
    }

    public static string Format(JobProgress p, double linesPerSecond)
    {
        double percent = 100.0 * p.LinesDone / Math.Max(1, p.TotalLines);
        string eta = linesPerSecond > 0 && p.LinesDone < p.TotalLines
            ? TimeSpan.FromSeconds(Math.Round((p.TotalLines - p.LinesDone) / linesPerSecond)).ToString("c", CultureInfo.InvariantCulture)
            : "-";
        string running = p.RunningPerSilo.Count == 0 ? "none" : string.Join(", ", p.RunningPerSilo.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} x{kv.Value}"));
        string retries = p.Retries > 0 ? $"  reruns {p.Retries}" : "";
        string problems = p.SiloProblems.Count > 0 ? $"  silo problems: {string.Join(" | ", p.SiloProblems)}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"lines {p.LinesDone}/{p.TotalLines} ({percent:0.0} %)  {linesPerSecond:0} lines/s  ETA {eta}  shards {p.ShardsDone}/{p.Shards}  running: {running}{retries}{problems}");
    }
}
