using System.Text.Json;
using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using AlbertGen.Training;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Training;

[Collection(TorchRandomCollection.Name)]
public class FineTunerTests
{
    private static readonly string[] Words =
        ["love", "night", "sweet", "heart", "fair", "good", "lord", "time", "death", "life", "day", "eyes", "blood", "heaven", "world", "man"];

    /// <summary>Label "yes" when the word "king" occurs in the text, else "no".</summary>
    private static List<TrainingExample> KingTask(int count, int seed)
    {
        var random = new TrainingRandom(seed);
        var examples = new List<TrainingExample>();
        for (int i = 0; i < count; i++)
        {
            var words = Enumerable.Range(0, 4 + random.Next(6)).Select(_ => Words[random.Next(Words.Length)]).ToList();
            bool king = i % 2 == 0;
            if (king)
            {
                words.Insert(random.Next(words.Count + 1), "king");
            }

            examples.Add(new TextExample(string.Join(' ', words), king ? "yes" : "no"));
        }

        return examples;
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task A_short_fine_tune_learns_whether_a_word_occurs_and_writes_a_huggingface_checkpoint()
    {
        using var dir = new TempDirectory("training");
        string output = Path.Combine(dir.Path, "out");
        var reports = new List<TrainingProgress>();
        var options = new FineTuneOptions
        {
            TrainExamples = KingTask(192, 1),
            EvalExamples = KingTask(64, 2),
            Config = TrainingFixtures.TinyConfig(),
            Tokenizer = TrainingFixtures.Tokenizer,
            OutputDirectory = output,
            Epochs = 6,
            BatchSize = 16,
            LearningRate = 3e-3,
            WarmupRatio = 0.1,
            LoggingSteps = 4,
            LossCurvePlotter = new PngLossCurvePlotter(),
        };
        FineTuneResult result = await FineTuner.RunAsync(options, new SynchronousProgress(reports.Add));

        Assert.True(result.BestEvaluation!.Metrics["accuracy"] >= 0.9, result.BestEvaluation.ToString());
        Assert.Equal(["no", "yes"], result.LabelNames);
        Assert.Contains(reports, r => r.Phase == TrainingPhase.Training && r.TokensPerSecond > 0 && r.LearningRate > 0);
        Assert.Contains(reports, r => r.Phase == TrainingPhase.Evaluation && r.Evaluation is not null);
        foreach (string file in new[] { "config.json", "model.safetensors", "spiece.model", "loss_curve.csv", "loss_curve.png" })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        }

        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json")));
        Assert.Equal("AlbertForSequenceClassification", config.RootElement.GetProperty("architectures")[0].GetString());
        Assert.Equal("yes", config.RootElement.GetProperty("id2label").GetProperty("1").GetString());
        Assert.Equal(0, config.RootElement.GetProperty("label2id").GetProperty("no").GetInt32());

        // The checkpoint loads back (strictly) and predicts like the best evaluation.
        using var model = AlbertForSequenceClassification.FromPretrained(output);
        using var noGrad = no_grad();
        var encoding = TrainingFixtures.Tokenizer.Encode("the king and the night");
        using var ids = tensor(encoding.InputIds.Select(i => (long)i).ToArray(), [1, encoding.Length]);
        using SequenceClassifierOutput output2 = model.forward(new AlbertInputs { InputIds = ids });
        Assert.Equal(1, output2.Logits.argmax(-1).item<long>());
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task Mixed_precision_fine_tuning_learns_the_task_too()
    {
        using var dir = new TempDirectory("training");
        var options = new FineTuneOptions
        {
            TrainExamples = KingTask(192, 1),
            EvalExamples = KingTask(64, 2),
            Config = TrainingFixtures.TinyConfig(),
            Tokenizer = TrainingFixtures.Tokenizer,
            OutputDirectory = Path.Combine(dir.Path, "out"),
            Epochs = 6,
            BatchSize = 16,
            LearningRate = 3e-3,
            WarmupRatio = 0.1,
            TrainingMatMulDType = ScalarType.BFloat16,
        };
        FineTuneResult result = await FineTuner.RunAsync(options);

        Assert.True(result.BestEvaluation!.Metrics["accuracy"] >= 0.9, result.BestEvaluation.ToString());
        using var model = AlbertForSequenceClassification.FromPretrained(options.OutputDirectory);
        Assert.Equal(ScalarType.Float32, model.DType); // master weights saved in float32
    }

    [Fact]
    public async Task Fine_tuning_is_deterministic_for_a_seed()
    {
        using var dir = new TempDirectory("training");
        FineTuneOptions Options(string name) => new()
        {
            TrainExamples = KingTask(32, 1),
            Config = TrainingFixtures.TinyConfig(dropout: 0.1),
            Tokenizer = TrainingFixtures.Tokenizer,
            OutputDirectory = Path.Combine(dir.Path, name),
            Epochs = 1,
            BatchSize = 8,
            GradientAccumulationSteps = 2,
            LearningRate = 1e-3,
        };
        FineTuneResult a = await FineTuner.RunAsync(Options("a"));
        FineTuneResult b = await FineTuner.RunAsync(Options("b"));
        Assert.Equal(2, a.Steps);
        Assert.Equal(a.FinalLoss, b.FinalLoss);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.OutputDirectory, "model.safetensors")), File.ReadAllBytes(Path.Combine(b.OutputDirectory, "model.safetensors")));
    }

    [Fact]
    public async Task Every_task_trains_evaluates_and_saves_a_loadable_checkpoint()
    {
        using var dir = new TempDirectory("training");
        var tagging = new List<TrainingExample>
        {
            new TaggingExample(["john", "loves", "rome"], ["B-PER", "O", "B-LOC"]),
            new TaggingExample(["mary", "anne", "visits", "verona", "city"], ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"]),
        };
        string context = string.Join(' ', Enumerable.Repeat("the night is long and the day is short.", 12)) + " the king lives in rome.";
        var qa = new List<TrainingExample>
        {
            new QuestionAnsweringExample("1", "where does the king live?", context, [("rome", context.IndexOf("rome", StringComparison.Ordinal))]),
        };
        var choice = new List<TrainingExample>
        {
            new MultipleChoiceExample("the king", ["rules", "sleeps", "sings"], 0),
            new MultipleChoiceExample("the night", ["is dark", "is red", "is loud"], 0),
        };
        var regression = new List<TrainingExample> { new TextExample("good", "1.5"), new TextExample("bad", "-0.5") };
        var multi = new List<TrainingExample>
        {
            new TextExample("love and death", null, ["love", "death"]),
            new TextExample("only love", null, ["love"]),
        };
        (FineTuneTask task, List<TrainingExample> data, string architecture)[] cases =
        [
            (FineTuneTask.TokenClassification, tagging, "AlbertForTokenClassification"),
            (FineTuneTask.QuestionAnswering, qa, "AlbertForQuestionAnswering"),
            (FineTuneTask.MultipleChoice, choice, "AlbertForMultipleChoice"),
            (FineTuneTask.Regression, regression, "AlbertForSequenceClassification"),
            (FineTuneTask.MultiLabelClassification, multi, "AlbertForSequenceClassification"),
        ];
        foreach ((FineTuneTask task, List<TrainingExample> data, string architecture) in cases)
        {
            string output = Path.Combine(dir.Path, task.ToString());
            FineTuneResult result = await FineTuner.RunAsync(new FineTuneOptions
            {
                Task = task,
                TrainExamples = data,
                EvalExamples = data,
                Config = TrainingFixtures.TinyConfig(),
                Tokenizer = TrainingFixtures.Tokenizer,
                OutputDirectory = output,
                Epochs = 2,
                BatchSize = 2,
                MaxSequenceLength = 48,
                DocStride = 8,
            });
            Assert.True(result.BestEvaluation is not null, task.ToString());
            Assert.All(result.BestEvaluation!.Metrics.Values, v => Assert.False(double.IsNaN(v), task.ToString()));
            using JsonDocument config = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "config.json")));
            Assert.Equal(architecture, config.RootElement.GetProperty("architectures")[0].GetString());
            AlbertConfig read = AlbertConfigReader.ReadFile(output);
            if (task == FineTuneTask.TokenClassification)
            {
                Assert.Equal(["B-LOC", "B-PER", "I-LOC", "I-PER", "O"], read.Id2Label);
                Assert.Contains("precision", result.BestEvaluation.Metrics.Keys); // BIO labels → entity-level scores
            }

            if (task == FineTuneTask.QuestionAnswering)
            {
                Assert.Contains("exact_match", result.BestEvaluation.Metrics.Keys);
            }
        }

        using var tagger = AlbertForTokenClassification.FromPretrained(Path.Combine(dir.Path, nameof(FineTuneTask.TokenClassification)));
        using var reader = AlbertForQuestionAnswering.FromPretrained(Path.Combine(dir.Path, nameof(FineTuneTask.QuestionAnswering)));
        using var chooser = AlbertForMultipleChoice.FromPretrained(Path.Combine(dir.Path, nameof(FineTuneTask.MultipleChoice)));
    }

    [Fact]
    public async Task Early_stopping_ends_the_run_after_the_patience_runs_out()
    {
        using var dir = new TempDirectory("training");
        FineTuneResult result = await FineTuner.RunAsync(new FineTuneOptions
        {
            TrainExamples = KingTask(16, 1),
            EvalExamples = KingTask(16, 2),
            Config = TrainingFixtures.TinyConfig(),
            Tokenizer = TrainingFixtures.Tokenizer,
            OutputDirectory = dir.Path,
            Epochs = 20,
            BatchSize = 8,
            LearningRate = 0, // nothing changes, so nothing improves after the first evaluation
            EarlyStoppingPatience = 2,
        });
        Assert.True(result.StoppedEarly);
        Assert.Equal(3, result.Epochs);
    }
}
