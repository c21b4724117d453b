using System.Diagnostics;
using System.Globalization;

namespace AlbertGen.Benchmarks;

/// <summary>
/// Re-launches this benchmark with a sub-command in a fresh process (for start-up and peak-memory measures, which a
/// process can only take once) and reads back its <c>result key=value …</c> line.
/// </summary>
internal static class ChildProcess
{
    /// <summary>Prefix of the line a child prints with its measures.</summary>
    public const string ResultPrefix = "result ";

    /// <summary>Runs <c>this-benchmark <paramref name="args"/></c>, returns its measures and the wall time from spawn to exit.</summary>
    public static (Dictionary<string, double> Values, double WallMs) Run(params string[] args) => RunWith(null, args);

    /// <summary>
    /// Runs <paramref name="executable"/> (a published copy of this benchmark; null: this process's own executable) with
    /// <paramref name="args"/>, returns its measures and the wall time from spawn to exit.
    /// </summary>
    public static (Dictionary<string, double> Values, double WallMs) RunWith(string? executable, params string[] args)
    {
        string host = executable ?? Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this process's executable.");
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (executable is null && Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            // Started as `dotnet AlbertGen.Benchmarks.dll`: the child needs the assembly too.
            start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        }

        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        long t0 = Stopwatch.GetTimestamp();
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        double wall = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"Child '{string.Join(' ', args)}' failed with exit code {process.ExitCode}:{Environment.NewLine}{stdout}{stderr.Result}");
        }

        string? line = stdout.Split('\n').LastOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"Child '{string.Join(' ', args)}' printed no result line:{Environment.NewLine}{stdout}");
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string pair in line[ResultPrefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            values[pair[..eq]] = double.Parse(pair[(eq + 1)..], CultureInfo.InvariantCulture);
        }

        return (values, wall);
    }

    /// <summary>Prints a result line (from a child).</summary>
    public static void Report(params (string Key, double Value)[] values) =>
        Console.WriteLine(ResultPrefix + string.Join(' ', values.Select(v => v.Key + "=" + v.Value.ToString("0.###", CultureInfo.InvariantCulture))));
}
