using AlbertGen.Tests;

namespace AlbertGen.Cli.Tests;

/// <summary><c>albertgen finetune</c> takes unset settings from the model's <c>finetune_defaults.json</c> and says so.</summary>
[Collection(TrainingCollection.Name)]
public sealed class FineTuneDefaultsCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new("cli");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private string KingData()
    {
        string train = _temp.NewFile("train.jsonl");
        File.WriteAllLines(train, Enumerable.Range(0, 16).Select(i =>
            i % 2 == 0 ? """{"text": "the king is here", "label": "royal"}""" : """{"text": "a dog ran by", "label": "common"}"""));
        return train;
    }

    /// <summary>A model folder of our own, to put a finetune_defaults.json into.</summary>
    private string CopyOfTinyModel()
    {
        string model = _temp.NewFolder();
        foreach (string file in Directory.GetFiles(TaskModelDirectory.Tiny))
        {
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        }

        return model;
    }

    [Fact]
    public async Task The_model_files_settings_are_printed_and_used_for_what_the_command_line_leaves_unset()
    {
        string model = CopyOfTinyModel();

        // A constant rate without warm-up, so every update's logged rate is the file's.
        File.WriteAllText(Path.Combine(model, "finetune_defaults.json"),
            """{ "learning_rate": 0.0123, "num_train_epochs": 2, "per_device_train_batch_size": 4, "warmup_ratio": 0, "lr_scheduler_type": "constant" }""");

        var (code, printed, error) = await Cli.RunAsync(
            "finetune", "--task", "sequence-classification", "--model", model, "--train", KingData(),
            "--output", Path.Combine(model, "out"), "--max-seq-length", "16");

        Assert.True(code == 0, error);
        string settings = error.Split('\n')[0];
        Assert.StartsWith("settings: learning_rate 0.0123 (model), num_train_epochs 2 (model), per_device_train_batch_size 4 (model)", settings);
        Assert.Contains("max_seq_length 16 (given)", settings);
        Assert.Contains("weight_decay 0.01 (default)", settings);
        Assert.EndsWith("model = " + Path.Combine(model, "finetune_defaults.json"), settings.TrimEnd());
        Assert.Contains("step 8/8", error); // 16 examples, batches of 4, 2 epochs
        Assert.Contains("lr 1.23e-2", error);
        Assert.Contains("trained 8 updates over 2 epoch(s)", printed);
    }

    [Fact]
    public async Task The_default_model_ships_its_settings_and_the_command_line_overrides_them()
    {
        Assert.True(File.Exists(Path.Combine(Cli.DefaultModelFolder, "finetune_defaults.json")), "the default model has no finetune_defaults.json beside it");

        var (code, _, error) = await Cli.RunAsync(
            "finetune", "--task", "sequence-classification", "--train", KingData(), "--output", _temp.NewFile("out"), "--epochs", "1");

        Assert.True(code == 0, error);
        string settings = error.Split('\n')[0];
        Assert.Contains("learning_rate 0.001 (model)", settings);
        Assert.Contains("num_train_epochs 1 (given)", settings);
        Assert.Contains("max_seq_length 64 (model)", settings);
    }

    [Fact]
    public async Task A_bad_defaults_file_is_named_and_exits_with_the_input_code()
    {
        string model = CopyOfTinyModel();

        File.WriteAllText(Path.Combine(model, "finetune_defaults.json"), """{ "learning_rate": -1 }""");
        var (code, _, error) = await Cli.RunAsync(
            "finetune", "--task", "sequence-classification", "--model", model, "--train", KingData(), "--output", Path.Combine(model, "out"));

        Assert.Equal(CliApp.InputError, code);
        Assert.Contains("finetune_defaults.json: \"learning_rate\" must be a number in [0, 1], found -1", error);
    }
}
