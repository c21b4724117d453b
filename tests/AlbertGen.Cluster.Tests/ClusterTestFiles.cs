using System.Text.Json;
using AlbertGen.Cli;
using AlbertGen.Tests;

namespace AlbertGen.Cluster.Tests;

/// <summary>Inputs, the single-process reference output, and the comparison of outputs within the issue's 1e-5.</summary>
internal static class ClusterTestFiles
{
    /// <summary>The built-in default model, copied beside the command line by the build.</summary>
    public static string DefaultModel => Path.Combine(AppContext.BaseDirectory, "default-model");

    /// <summary>
    /// A JSON-lines file of Shakespeare lines (every seventh line blank, which yields no result); <paramref name="replace"/>
    /// puts raw text on chosen 1-based lines. With <paramref name="mask"/>, each line's second word is <c>[MASK]</c>.
    /// </summary>
    public static string Corpus(string folder, int lines, bool mask = false, params (int Line, string Text)[] replace)
    {
        string[] corpus = [.. File.ReadLines(Path.Combine(SharedFolder.Root, "corpora", "tinyshakespeare.txt"))
            .Where(l => l.Length > 20).Take(lines)];
        var text = new List<string>();
        for (int i = 0; i < lines; i++)
        {
            int number = i + 1;
            string sentence = corpus[i % corpus.Length];
            if (mask)
            {
                string[] words = sentence.Split(' ');
                words[1] = "[MASK]";
                sentence = string.Join(' ', words);
            }

            string line = number % 7 == 0 ? "" : JsonSerializer.Serialize(new { text = sentence, id = number });
            text.Add(replace.FirstOrDefault(r => r.Line == number).Text ?? line);
        }

        string path = Path.Combine(folder, "input.jsonl");
        File.WriteAllText(path, string.Join("\n", text) + "\n");
        return path;
    }

    /// <summary>What <c>albertgen TASK --input-jsonl FILE ARGS</c> prints, run in-process.</summary>
    public static async Task<string> SingleProcess(string task, string input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await CliApp.RunAsync([task, "--input-jsonl", input, .. args], output, error);
        Assert.True(code == 0, $"albertgen {task} exited {code}: {error}");
        return output.ToString();
    }

    /// <summary>The job's parts concatenated in name order.</summary>
    public static string Parts(string outputFolder)
    {
        string[] parts = [.. Directory.GetFiles(outputFolder, "part-*.jsonl").Order(StringComparer.Ordinal)];
        Assert.NotEmpty(parts);
        Assert.Empty(Directory.GetFiles(outputFolder, "*.tmp"));
        return string.Concat(parts.Select(File.ReadAllText));
    }

    /// <summary>Same number of lines, and each line the same JSON with numbers within 1e-5.</summary>
    public static void SameResults(string expected, string actual)
    {
        string[] want = expected.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] got = actual.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(want.Length > 0, "the reference output is empty");
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
        {
            using JsonDocument a = JsonDocument.Parse(want[i]);
            using JsonDocument b = JsonDocument.Parse(got[i]);
            string? difference = Difference(a.RootElement, b.RootElement, "$");
            Assert.True(difference is null, $"result {i + 1}: {difference}");
        }
    }

    private static string? Difference(JsonElement a, JsonElement b, string path)
    {
        if (a.ValueKind != b.ValueKind)
        {
            return $"{path}: {a.ValueKind} vs {b.ValueKind}";
        }

        switch (a.ValueKind)
        {
            case JsonValueKind.Number:
                double x = a.GetDouble(), y = b.GetDouble();
                return Math.Abs(x - y) <= 1e-5 ? null : $"{path}: {x} vs {y}";
            case JsonValueKind.Array:
                if (a.GetArrayLength() != b.GetArrayLength())
                {
                    return $"{path}: {a.GetArrayLength()} vs {b.GetArrayLength()} items";
                }

                return a.EnumerateArray().Zip(b.EnumerateArray()).Select((p, i) => Difference(p.First, p.Second, $"{path}[{i}]")).FirstOrDefault(d => d is not null);
            case JsonValueKind.Object:
                string[] keys = [.. a.EnumerateObject().Select(p => p.Name)];
                if (!keys.SequenceEqual(b.EnumerateObject().Select(p => p.Name)))
                {
                    return $"{path}: fields {string.Join(",", keys)} vs {string.Join(",", b.EnumerateObject().Select(p => p.Name))}";
                }

                return keys.Select(k => Difference(a.GetProperty(k), b.GetProperty(k), $"{path}.{k}")).FirstOrDefault(d => d is not null);
            default:
                return a.GetRawText() == b.GetRawText() ? null : $"{path}: {a.GetRawText()} vs {b.GetRawText()}";
        }
    }
}
