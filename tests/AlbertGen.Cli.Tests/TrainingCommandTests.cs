using AlbertGen.Modeling;
using AlbertGen.Tests;

namespace AlbertGen.Cli.Tests;

/// <summary><c>albertgen pretrain</c> and <c>albertgen finetune</c> write loadable HuggingFace checkpoints.</summary>
[Collection(TrainingCollection.Name)]
public sealed class TrainingCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new("cli");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private string Corpus()
    {
        string path = _temp.NewFile("corpus.txt");
        File.WriteAllLines(path, File.ReadLines(Path.Combine(SharedFolder.Root, "corpora", "tinyshakespeare.txt")).Take(300));
        return path;
    }

    private static string[] PretrainArgs(string corpus, string output, int steps, params string[] extra) =>
    [
        "pretrain", "--corpus", corpus, "--tokenizer", Path.Combine(SharedFolder.Tokenizer, "spiece.model"),
        "--config", Path.Combine(SharedFolder.Model("tiny"), "config.json"), "--output", output,
        "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--batch-size", "2", "--max-seq-length", "64",
        "--save-steps", "1", "--warmup-steps", "1", .. extra,
    ];

    [Trait("Category", "Slow")]
    [Fact]
    public async Task Pretraining_writes_a_checkpoint_that_loads_and_resumes_where_it_stopped()
    {
        string corpus = Corpus();
        string output = Path.Combine(_temp.NewFolder(), "model");

        var (code, printed, error) = await Cli.RunAsync(PretrainArgs(corpus, output, 4, "--stop-after", "2"));
        Assert.True(code == 0, error);
        Assert.Contains("stopped at step 2 (resumed from 0)", printed);
        Assert.Contains("step 2/4", error);
        Assert.Matches(@"loss \d+\.\d{4} \(masked lm \d+\.\d{4}, sentence order \d+\.\d{4}\)", error);

        (code, printed, error) = await Cli.RunAsync(PretrainArgs(corpus, output, 4));
        Assert.True(code == 0, error);
        Assert.Contains("finished at step 4 (resumed from 2)", printed);
        Assert.Matches(@"evaluation: masked-LM accuracy \d+\.\d % \(loss \d+\.\d{3}\), sentence-order accuracy \d+\.\d % \(loss \d+\.\d{3}\)", printed);
        Assert.Contains("evaluation after epoch", error);

        foreach (string file in new[] { "config.json", "model.safetensors", "spiece.model", "loss_curve.csv", "loss_curve.png" })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), file + " is missing");
        }

        using AlbertForPreTraining model = AlbertForPreTraining.FromPretrained(output);
        Assert.Equal(1000, model.Config.VocabSize);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task Bf16_pretraining_runs_the_same_updates_with_bfloat16_products()
    {
        string corpus = Corpus();
        string root = _temp.NewFolder();
        var (code, _, error) = await Cli.RunAsync(PretrainArgs(corpus, Path.Combine(root, "fp32"), 3));
        Assert.True(code == 0, error);
        (code, string bf16, error) = await Cli.RunAsync(PretrainArgs(corpus, Path.Combine(root, "bf16"), 3, "--bf16"));
        Assert.True(code == 0, error);

        Assert.Contains("finished at step 3", bf16);
        using AlbertForPreTraining reference = AlbertForPreTraining.FromPretrained(Path.Combine(root, "fp32"));
        using AlbertForPreTraining mixed = AlbertForPreTraining.FromPretrained(Path.Combine(root, "bf16"));
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, mixed.DType); // master weights stay float32
        const string ffn = "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight";
        using TorchSharp.torch.Tensor diff = reference.get_parameter(ffn)!.sub(mixed.get_parameter(ffn)!).abs().max();
        float maxDiff = diff.item<float>();
        Assert.True(maxDiff > 0, "the same seed and data gave identical weights: the products did not run in bfloat16");
        Assert.True(maxDiff < 1e-2, $"weights moved apart by {maxDiff} in 3 updates");
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task Sequence_length_defaults_to_what_the_config_has_positions_for_and_bad_settings_name_the_setting()
    {
        string corpus = Corpus();
        string shakespeare = Cli.DefaultModelFolder;
        string root = _temp.NewFolder();
        string[] common = ["pretrain", "--corpus", corpus, "--tokenizer", Path.Combine(shakespeare, "spiece.model"), "--config", Path.Combine(shakespeare, "config.json"),
            "--steps", "1", "--batch-size", "2", "--eval-instances", "4"];

        // The config has 64 positions; the default of 128 tokens would not fit.
        var (code, printed, error) = await Cli.RunAsync([.. common, "--output", Path.Combine(root, "ok")]);
        Assert.True(code == 0, error);
        Assert.Contains("finished at step 1", printed);

        (code, _, error) = await Cli.RunAsync([.. common, "--output", Path.Combine(root, "bad"), "--max-seq-length", "65"]);
        Assert.Equal(1, code);
        Assert.Contains("MaxSequenceLength 65 exceeds the config's max_position_embeddings 64", error);
        Assert.DoesNotContain("(Parameter", error);
    }

    [Fact]
    public async Task Fine_tuning_turns_string_labels_into_id2label()
    {
        string train = _temp.NewFile("train.jsonl");
        File.WriteAllLines(train, Enumerable.Range(0, 16).Select(i =>
            i % 2 == 0 ? """{"text": "the king is here", "label": "royal"}""" : """{"text": "a dog ran by", "label": "common"}"""));
        string output = Path.Combine(_temp.NewFolder(), "model");

        var (code, printed, error) = await Cli.RunAsync(
            "finetune", "--task", "sequence-classification", "--model", TaskModelDirectory.Tiny, "--train", train, "--eval", train,
            "--output", output, "--epochs", "1", "--batch-size", "4", "--max-seq-length", "16");

        Assert.True(code == 0, error);
        Assert.Contains("model in", printed);
        AlbertConfig config = AlbertConfigReader.ReadFile(output);
        Assert.Equal(["common", "royal"], config.Id2Label.Order(StringComparer.Ordinal));
        using AlbertForSequenceClassification model = AlbertForSequenceClassification.FromPretrained(output);
        Assert.Equal(2, model.Config.NumLabels);
    }

    [Fact]
    public async Task A_malformed_training_line_is_named_by_file_and_line()
    {
        string train = _temp.NewFile("bad.jsonl");
        File.WriteAllLines(train, ["""{"text": "fine", "label": "a"}""", """{"text": "no label here"}"""]);
        var (code, _, error) = await Cli.RunAsync(
            "finetune", "--task", "sequence-classification", "--model", TaskModelDirectory.Tiny, "--train", train,
            "--output", _temp.NewFile("out"));
        Assert.Equal(CliApp.InputError, code);
        Assert.Contains("bad.jsonl:2", error);
    }
}

/// <summary>Training draws from TorchSharp's global random generator, so these tests do not run beside each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCollection
{
    public const string Name = "Training (global random generator)";
}
