namespace AlbertGen.Benchmarks;

/// <summary>Counts and sections of one benchmark run.</summary>
internal sealed record BenchmarkSettings(
    bool Quick, int Warmup, int Runs, int RunsLarge, int MaxRuns, int LoadProcesses, int RssProcesses, int GemmRuns, int LimitTrials, int XxlargeRuns,
    IReadOnlySet<string> Sections)
{
    /// <summary>Every section, in the order they run.</summary>
    public static readonly string[] AllSections =
        ["limits", "fp32", "int8", "small-fp32", "small-int8", "default-model", "bf16", "accuracy", "xxlarge", "load", "rss"];

    /// <summary>Names that stand for several sections (or an older name of one).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Aliases = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["gemm"] = ["limits"],
        ["small"] = ["small-fp32", "small-int8"],
    };

    /// <summary>Parses the command line; null when it is not understood.</summary>
    public static BenchmarkSettings? Parse(string[] args)
    {
        bool quick = false;
        var sections = new HashSet<string>(AllSections, StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--sections" when i + 1 < args.Length:
                    sections = new HashSet<string>(StringComparer.Ordinal);
                    foreach (string name in args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (Aliases.TryGetValue(name, out string[]? meant))
                        {
                            sections.UnionWith(meant);
                        }
                        else if (AllSections.Contains(name))
                        {
                            sections.Add(name);
                        }
                        else
                        {
                            return null;
                        }
                    }

                    break;
                default:
                    return null;
            }
        }

        return quick
            ? new BenchmarkSettings(true, Warmup: 2, Runs: 10, RunsLarge: 5, MaxRuns: 4000, LoadProcesses: 5, RssProcesses: 3, GemmRuns: 10, LimitTrials: 15, XxlargeRuns: 3, sections)
            : new BenchmarkSettings(false, Warmup: 3, Runs: 20, RunsLarge: 10, MaxRuns: 8000, LoadProcesses: 10, RssProcesses: 5, GemmRuns: 20, LimitTrials: 30, XxlargeRuns: 10, sections);
    }

    /// <summary>The usage line.</summary>
    public static string Usage =>
        "usage: AlbertGen.Benchmarks [--quick] [--sections " + string.Join(',', AllSections) + "] (also: " + string.Join(", ", Aliases.Select(a => $"{a.Key} = {string.Join('+', a.Value)}")) + ")";
}
