using AlbertGen.Training;

namespace AlbertGen.Tests.Training;

public class FineTuneDefaultsTests
{
    [Fact]
    public void A_model_file_fills_the_settings_the_options_leave_unset()
    {
        using var dir = new TempDirectory("training");
        File.WriteAllText(Path.Combine(dir.Path, FineTuneDefaults.FileName),
            """{ "learning_rate": 0.002, "num_train_epochs": 7, "lr_scheduler_type": "cosine", "warmup_steps": 5 }""");
        var options = new FineTuneOptions { ModelDirectory = dir.Path, OutputDirectory = "unused", Epochs = 2 };

        FineTuneSettings settings = FineTuneSettings.Resolve(options, maxPositions: 512);

        Assert.Equal(0.002, settings.LearningRate);
        Assert.Equal(2, settings.Epochs); // given: wins over the model's 7
        Assert.Equal(LearningRateDecay.Cosine, settings.Decay);
        Assert.Equal(5, settings.WarmupSteps);
        Assert.Equal(16, settings.BatchSize); // neither gives it: the built-in default
        Assert.Equal(128, settings.MaxSequenceLength);
        Assert.Contains(new FineTuneSetting("learning_rate", "0.002", FineTuneSettingSource.Model), settings.Report);
        Assert.Contains(new FineTuneSetting("num_train_epochs", "2", FineTuneSettingSource.Options), settings.Report);
        Assert.Contains(new FineTuneSetting("per_device_train_batch_size", "16", FineTuneSettingSource.BuiltIn), settings.Report);
        Assert.Contains(new FineTuneSetting("warmup_steps", "5", FineTuneSettingSource.Model), settings.Report);
        Assert.Contains("learning_rate 0.002 (model)", settings.ToString());
        Assert.EndsWith("model = " + Path.Combine(dir.Path, FineTuneDefaults.FileName), settings.ToString());
    }

    [Fact]
    public void Without_a_model_file_the_built_in_defaults_apply_and_the_length_fits_the_positions()
    {
        using var dir = new TempDirectory("training");
        FineTuneSettings settings = FineTuneSettings.Resolve(new FineTuneOptions { ModelDirectory = dir.Path, OutputDirectory = "unused" }, maxPositions: 64);

        Assert.Equal(3e-5, settings.LearningRate);
        Assert.Equal(3, settings.Epochs);
        Assert.Equal(64, settings.MaxSequenceLength);
        Assert.Null(settings.ModelDefaultsFile);
        Assert.All(settings.Report, s => Assert.Equal(FineTuneSettingSource.BuiltIn, s.Source));
        Assert.Contains("has no finetune_defaults.json", settings.ToString());
    }

    [Theory]
    [InlineData("""{ "learnig_rate": 0.1 }""", "unknown setting \"learnig_rate\"")]
    [InlineData("""{ "learning_rate": "fast" }""", "\"learning_rate\" must be a number in [0, 1], found \"fast\"")]
    [InlineData("""{ "num_train_epochs": 2.5 }""", "\"num_train_epochs\" must be a whole number of at least 1, found 2.5")]
    [InlineData("""{ "lr_scheduler_type": "exponential" }""", "\"lr_scheduler_type\" must be \"linear\", \"cosine\" or \"constant\"")]
    [InlineData("""[1, 2]""", "expected a JSON object of settings")]
    [InlineData("""{ "learning_rate": 1e-3, """, "not valid JSON")]
    public void A_bad_file_is_named_with_the_key_and_what_was_expected(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => FineTuneDefaults.Parse(json, "m/finetune_defaults.json"));
        Assert.StartsWith("m/finetune_defaults.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
