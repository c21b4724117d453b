using System.Globalization;
using System.Text.RegularExpressions;
using AlbertGen.Tests;
using Xunit.Abstractions;

namespace AlbertGen.Cli.Tests;

/// <summary>
/// The default model's fine-tuning defaults (<c>finetune_defaults.json</c>) learn simple tasks: plain
/// <c>albertgen finetune</c>, no settings given, reaches at least 0.9 on held-out lines of each
/// <see cref="ShakespeareTasks"/> task. Set ALBERTGEN_TASKS_DIR to keep the generated files there.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed partial class DefaultFineTuningTests(ITestOutputHelper log) : IDisposable
{
    private readonly TempDirectory _temp = new("cli");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("keyword", "sequence-classification", "accuracy")]
    [InlineData("sentiment", "sequence-classification", "accuracy")]
    [InlineData("names", "token-classification", "f1")]
    public async Task Default_settings_learn_a_held_out_task_of_the_corpus(string task, string head, string metric)
    {
        string directory = Environment.GetEnvironmentVariable("ALBERTGEN_TASKS_DIR") is { Length: > 0 } kept
            ? kept
            : _temp.NewFolder();
        ShakespeareTasks.Write(Path.Combine(SharedFolder.Root, "corpora", "tinyshakespeare.txt"), directory);
        string output = Path.Combine(_temp.NewFolder(), task);

        var (code, printed, error) = await Cli.RunAsync(
            "finetune", "--task", head, "--train", Path.Combine(directory, task + ".train.jsonl"),
            "--eval", Path.Combine(directory, task + ".test.jsonl"), "--output", output);

        Assert.True(code == 0, error);
        log.WriteLine(error.Split('\n')[0]);
        log.WriteLine(printed);
        Match best = Regex.Match(printed, $@"best .*\b{metric}=(\d+(?:\.\d+)?)");
        Assert.True(best.Success, printed);
        double value = double.Parse(best.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(value >= 0.9, $"{task}: held-out {metric} {value} < 0.9 with the default settings\n{printed}");
    }
}
