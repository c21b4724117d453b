namespace AlbertGen.Benchmarks;

/// <summary>Counts and sections of one benchmark run.</summary>
internal sealed record BenchmarkSettings(
    bool Quick, int Warmup, int Runs, int RunsLarge, int LoadProcesses, int RssProcesses, int GemmRuns, int XxlargeRuns, IReadOnlySet<string> Sections)
{
    /// <summary>Every section, in the order they run.</summary>
    public static readonly string[] AllSections = ["gemm", "fp32", "bf16", "int8", "accuracy", "xxlarge", "load", "rss"];

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
                    sections = new HashSet<string>(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
                    if (!sections.IsSubsetOf(AllSections))
                    {
                        return null;
                    }

                    break;
                default:
                    return null;
            }
        }

        return quick
            ? new BenchmarkSettings(true, Warmup: 2, Runs: 10, RunsLarge: 5, LoadProcesses: 5, RssProcesses: 3, GemmRuns: 10, XxlargeRuns: 3, sections)
            : new BenchmarkSettings(false, Warmup: 3, Runs: 20, RunsLarge: 10, LoadProcesses: 10, RssProcesses: 5, GemmRuns: 20, XxlargeRuns: 10, sections);
    }
}
