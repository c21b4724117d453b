using System.Text;

namespace AlbertGen.Generators.Tests;

/// <summary>
/// Compares generated text with a committed baseline file, line by line. On a mismatch the test fails with the first
/// differing lines and writes the new text beside the baseline as <c>*.received.cs</c> (git-ignored), so a reviewer
/// can diff the two. With <c>ALBERTGEN_ACCEPT_BASELINES=1</c> the new text replaces the baseline instead.
/// </summary>
public static class Baseline
{
    public const string AcceptVariable = "ALBERTGEN_ACCEPT_BASELINES";

    public static void Match(string baselineName, string actual)
    {
        string expectedPath = Path.Combine(TestFolders.Baselines, baselineName + ".cs");
        string receivedPath = Path.Combine(TestFolders.Baselines, baselineName + ".received.cs");
        string actualText = Normalize(actual);
        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            File.WriteAllText(expectedPath, actualText, new UTF8Encoding(false));
            File.Delete(receivedPath);
            return;
        }

        string? expectedText = File.Exists(expectedPath) ? Normalize(File.ReadAllText(expectedPath)) : null;
        if (expectedText == actualText)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actualText, new UTF8Encoding(false));
        if (expectedText is null)
        {
            Assert.Fail($"No baseline {expectedPath}; the output is in {receivedPath}. Review it, then rename it or run with {AcceptVariable}=1.");
        }

        Assert.Fail($"Generated code differs from {expectedPath} (new output: {receivedPath}; re-accept with {AcceptVariable}=1):\n{Describe(expectedText!, actualText)}");
    }

    /// <summary>The first differing line with a little context.</summary>
    internal static string Describe(string expected, string actual)
    {
        string[] e = expected.Split('\n');
        string[] a = actual.Split('\n');
        int first = 0;
        while (first < e.Length && first < a.Length && e[first] == a[first])
        {
            first++;
        }

        var report = new StringBuilder();
        for (int i = Math.Max(0, first - 2); i < first; i++)
        {
            report.Append($"  {i + 1,5}   {e[i]}\n");
        }

        for (int i = first; i < Math.Min(e.Length, first + 5); i++)
        {
            report.Append($"- {i + 1,5}   {e[i]}\n");
        }

        for (int i = first; i < Math.Min(a.Length, first + 5); i++)
        {
            report.Append($"+ {i + 1,5}   {a[i]}\n");
        }

        return report.ToString();
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");
}
