using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace AlbertGen.Generators.Tests;

/// <summary>
/// How long the generator takes per config. The goal is 50 ms or less; the budget asserted here is twenty times
/// that, because timings on a shared 2-core machine are noisy: it catches a generator whose work grows with a
/// config's values (two billion labels, a huge vocabulary) or that redoes binding per config, not a few milliseconds.
/// The times are printed for the record.
/// </summary>
public sealed class TimingTests(ITestOutputHelper output)
{
    private const double BudgetMilliseconds = 1000;

    [Fact]
    public void Generator_time_per_config_stays_within_budget_even_for_huge_sizes()
    {
        var configs = new List<(string Name, string Text)>
        {
            ("base-v2", File.ReadAllText(Path.Combine(TestFolders.Repository, "models", "base-v2", "config.json"))),
            ("xxlarge-v2", File.ReadAllText(Path.Combine(TestFolders.Repository, "models", "xxlarge-v2", "config.json"))),
            // Default label names for two billion labels and a vocabulary of two billion: nothing may be made per label or token.
            ("2e9 labels, 2e9 tokens", Configs.Tiny.Replace("\"vocab_size\": 1000", "\"vocab_size\": 2000000000, \"num_labels\": 2000000000")),
        };
        Assert.Contains("2000000000", configs[^1].Text);
        string models = Path.Combine(TestFolders.Shared, "fixtures", "models");
        configs.AddRange(Directory.GetFiles(models, "config.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(models, Path.GetDirectoryName(f)!), File.ReadAllText(f))));

        // The first run pays for JIT and for binding the compilation's attributes; a compiler server pays that once.
        var compilation = GeneratorHarness.Compile((GeneratorHarness.ProjectDir + "Model.cs", Configs.Declaration()));
        var first = Stopwatch.StartNew();
        GeneratorHarness.Driver([new InMemoryText(GeneratorHarness.ProjectDir + "config.json", Configs.Tiny)]).RunGenerators(compilation);
        output.WriteLine($"{"first run (JIT, binding)",-40} driver run {first.Elapsed.TotalMilliseconds,6:0.00} ms");
        var times = new List<double>();
        foreach ((string name, string text) in configs)
        {
            GeneratorDriver driver = GeneratorHarness.Driver([new InMemoryText(GeneratorHarness.ProjectDir + "config.json", text)]);
            var clock = Stopwatch.StartNew();
            driver = driver.RunGenerators(compilation);
            clock.Stop();
            GeneratorRunResult result = driver.GetRunResult().Results[0];
            Assert.Null(result.Exception);
            Assert.DoesNotContain(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
            Assert.Single(result.GeneratedSources);
            double generator = driver.GetTimingInfo().ElapsedTime.TotalMilliseconds;
            times.Add(generator);
            output.WriteLine($"{name,-40} generator {generator,6:0.00} ms   (driver run {clock.Elapsed.TotalMilliseconds,6:0.00} ms)");
        }

        Assert.All(configs.Zip(times), c => Assert.True(c.Second < BudgetMilliseconds,
            $"the generator took {c.Second:0} ms on {c.First.Name}; the budget is {BudgetMilliseconds} ms (goal 50 ms)."));
    }
}
