namespace AlbertGen.Benchmarks;

/// <summary>Facts about the machine and the process, read from <c>/proc</c>.</summary>
internal static class Machine
{
    /// <summary>The 1-minute load average.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>
    /// The CPU's model name with its family and model numbers (a VM may name it only "AMD EPYC": family 25 model 1 is
    /// Zen 3, model 17 Zen 4).
    /// </summary>
    public static string CpuModel()
    {
        try
        {
            var fields = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).Select(l => l.Split(':', 2))
                .Where(p => p.Length == 2).GroupBy(p => p[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
            string Field(string name) => fields.TryGetValue(name, out string? value) ? value : "?";
            return $"{Field("model name")} (family {Field("cpu family")} model {Field("model")})";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>A <c>/proc/self/status</c> field in KiB (<c>VmHWM</c> = peak resident set, <c>VmRSS</c> = current).</summary>
    public static long StatusKib(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                string[] parts = line[(field.Length + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/self/status has no {field}.");
    }

    /// <summary>
    /// Resident KiB of the file mappings whose file name starts with one of <paramref name="prefixes"/>, from
    /// <c>/proc/self/smaps</c>: how much of a native library's code and read-only data the process has touched.
    /// </summary>
    public static long MappedFileKib(params string[] prefixes)
    {
        long total = 0;
        bool counting = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && !parts[0].EndsWith(':'))
            {
                // A mapping's header: "start-end perms offset dev inode [path]".
                string name = parts.Length >= 6 ? Path.GetFileName(parts[5]) : "";
                counting = prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
            }
            else if (counting && parts.Length >= 2 && parts[0] == "Rss:")
            {
                total += long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return total;
    }
}
