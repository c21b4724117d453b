using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace AlbertGen.Generators.Tests;

/// <summary>
/// How long the generator takes per config (goal: 50 ms or less), printed rather than asserted: timings on a shared
/// 2-core machine are too noisy for a hard limit.
/// </summary>
public sealed class TimingTests(ITestOutputHelper output)
{
    [Fact]
    public void Generator_time_per_config_is_reported()
    {
        var configs = new List<(string Name, string Text)>
        {
            ("base-v2", File.ReadAllText(Path.Combine(TestFolders.Repository, "models", "base-v2", "config.json"))),
            ("xxlarge-v2", File.ReadAllText(Path.Combine(TestFolders.Repository, "models", "xxlarge-v2", "config.json"))),
        };
        string models = Path.Combine(TestFolders.Shared, "fixtures", "models");
        configs.AddRange(Directory.GetFiles(models, "config.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(models, Path.GetDirectoryName(f)!), File.ReadAllText(f))));

        // The first run pays for JIT and for binding the compilation's attributes; a compiler server pays that once.
        var compilation = GeneratorHarness.Compile((GeneratorHarness.ProjectDir + "Model.cs", Configs.Declaration()));
        var first = Stopwatch.StartNew();
        GeneratorHarness.Driver([new InMemoryText(GeneratorHarness.ProjectDir + "config.json", Configs.Tiny)]).RunGenerators(compilation);
        output.WriteLine($"{"first run (JIT, binding)",-40} driver run {first.Elapsed.TotalMilliseconds,6:0.00} ms");
        foreach ((string name, string text) in configs)
        {
            GeneratorDriver driver = GeneratorHarness.Driver([new InMemoryText(GeneratorHarness.ProjectDir + "config.json", text)]);
            var clock = Stopwatch.StartNew();
            driver = driver.RunGenerators(compilation);
            clock.Stop();
            TimeSpan generator = driver.GetTimingInfo().ElapsedTime;
            Assert.Null(driver.GetRunResult().Results[0].Exception);
            output.WriteLine($"{name,-40} generator {generator.TotalMilliseconds,6:0.00} ms   (driver run {clock.Elapsed.TotalMilliseconds,6:0.00} ms)");
        }
    }
}
