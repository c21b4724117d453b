using System.Diagnostics;

namespace AlbertGen.Benchmarks;

/// <summary>Median-of-N timing. Competing engines run in alternating blocks so that machine noise hits them alike.</summary>
internal static class Timing
{
    /// <summary>
    /// Pause when switching engines, so that the other engine's worker threads have gone to sleep. 20 ms was too short: at
    /// 1×16, with 20 ms, ONNX Runtime took 23 ms a pass and AlbertGen 45; with 200 ms, 18 and 22 (the same code).
    /// </summary>
    private const int SwitchPauseMs = 200;

    /// <summary>
    /// Times each action <paramref name="count"/> times after <paramref name="warmup"/> untimed calls; the actions take turns
    /// in blocks of <paramref name="block"/> calls. Returns every sample per action, in milliseconds.
    /// </summary>
    public static List<double>[] Interleaved(IReadOnlyList<Action> actions, int warmup, int count, int block = 1)
    {
        foreach (Action a in actions)
        {
            for (int i = 0; i < warmup; i++)
            {
                a();
            }

            Pause(a);
        }

        var samples = actions.Select(_ => new List<double>(count)).ToArray();
        while (samples[0].Count < count)
        {
            for (int k = 0; k < actions.Count; k++)
            {
                int n = Math.Min(block, count - samples[k].Count);
                for (int i = 0; i < n; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    actions[k]();
                    samples[k].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }

                Pause(actions[k]);
            }
        }

        return samples;
    }

    /// <summary>Per engine: milliseconds of the switch pauses after its turns, and the process's CPU milliseconds during them.</summary>
    private static readonly Dictionary<string, (double PauseMs, double CpuMs)> PauseCpu = new(StringComparer.Ordinal);

    /// <summary>
    /// The process's CPU use during the switch pauses since the last call, in % of one core, per engine whose turn the pause
    /// followed, and resets it. Nothing of the benchmark runs then, so a figure well above a few % means that engine left
    /// threads spinning after its calls, taking a core from whatever runs next (the other engine, or an application).
    /// </summary>
    public static IReadOnlyDictionary<string, double> TakePauseCpu()
    {
        var percent = PauseCpu.ToDictionary(p => p.Key, p => 100 * p.Value.CpuMs / p.Value.PauseMs, StringComparer.Ordinal);
        PauseCpu.Clear();
        return percent;
    }

    private static void Pause(Action after)
    {
        using var self = Process.GetCurrentProcess();
        TimeSpan cpu = self.TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        Thread.Sleep(SwitchPauseMs);
        double pause = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        self.Refresh();
        string engine = EngineOf(after);
        (double pauseMs, double cpuMs) = PauseCpu.GetValueOrDefault(engine);
        PauseCpu[engine] = (pauseMs + pause, cpuMs + (self.TotalProcessorTime - cpu).TotalMilliseconds);
    }

    /// <summary>Which engine an action runs, from the type that declares it (a prepared run is nested in its engine).</summary>
    private static string EngineOf(Action action)
    {
        Type? type = action.Target?.GetType() ?? action.Method.DeclaringType;
        Type? outer = type?.DeclaringType ?? type;
        return outer == typeof(AlbertGenEngine) ? "AlbertGen"
            : outer == typeof(OrtEngine) ? "ONNX Runtime"
            : outer == typeof(PeakProduct) ? "torch.mm"
            : "other";
    }

    /// <summary>The median of the samples.</summary>
    public static double Median(IReadOnlyList<double> samples)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = samples.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>
    /// The time of one call, in milliseconds. For block sizes, time a call after the first: the first call at a new shape
    /// includes one-off work (oneDNN compiles kernels for it) and would make every block a single call.
    /// </summary>
    public static double Once(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>
    /// Blocks so that a block lasts at least ~250 ms: tiny shapes run several calls per turn. (100 ms made the 200 ms pauses
    /// two thirds of a small-anchor section: the small anchor's passes take 0.5–60 ms.)
    /// </summary>
    public static int BlockFor(double estimatedMs) => Math.Clamp((int)Math.Ceiling(250 / Math.Max(estimatedMs, 0.05)), 1, 1000);
}
