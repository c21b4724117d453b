using AlbertGen.Checkpoints;
using AlbertGen.Training;

namespace AlbertGen.Tests.Training;

[Trait("Category", "Slow")]
[Collection(TorchRandomCollection.Name)]
public class PretrainerTests
{
    private static string Corpus(TempDirectory dir, int lines)
    {
        string source = Path.Combine(SharedFolder.Root, "corpora", "tinyshakespeare.txt");
        return dir.File("corpus.txt", string.Join('\n', File.ReadLines(source).Take(lines)) + "\n");
    }

    private static PretrainOptions Options(string corpus, string output, int steps) => new()
    {
        CorpusFile = corpus,
        BlankLineSeparatesDocuments = false,
        Config = TrainingFixtures.TinyConfig(dropout: 0.1),
        Tokenizer = TrainingFixtures.Tokenizer,
        OutputDirectory = output,
        MaxSequenceLength = 32,
        MaxPredictionsPerSequence = 5,
        BatchSize = 8,
        MaxSteps = steps,
        WarmupSteps = 2,
        LearningRate = 5e-3,
        LoggingSteps = 5,
        SaveSteps = 1000,
        LossCurvePlotter = new PngLossCurvePlotter(),
    };

    [Fact]
    public async Task A_few_pretraining_steps_reduce_the_loss_and_write_a_pretraining_checkpoint()
    {
        using var dir = new TempDirectory("training");
        string output = Path.Combine(dir.Path, "out");
        PretrainResult result = await Pretrainer.RunAsync(Options(Corpus(dir, 400), output, 40));
        Assert.True(result.LastLoss < result.FirstLoss - 0.5, $"{result.FirstLoss} → {result.LastLoss}");
        Assert.True(result.Completed);
        Assert.True(result.TokensPerSecond > 0);
        foreach (string file in new[] { "config.json", "model.safetensors", "spiece.model", "loss_curve.csv", "loss_curve.png", "checkpoint/optimizer.safetensors", "checkpoint/trainer_state.json" })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        }

        using var model = AlbertGen.Modeling.AlbertForPreTraining.FromPretrained(output);
        Assert.Equal("AlbertForPreTraining", model.HuggingFaceClassName);

        // The run ends with an evaluation, also written to the loss curve.
        EvaluationResult evaluation = Assert.IsType<EvaluationResult>(result.Evaluation);
        Assert.Equal(
            [PretrainingEvaluation.MaskedLmAccuracy, PretrainingEvaluation.MaskedLmLoss, PretrainingEvaluation.SentenceOrderAccuracy, PretrainingEvaluation.SentenceOrderLoss],
            evaluation.Metrics.Keys);
        Assert.InRange(evaluation.Metrics[PretrainingEvaluation.MaskedLmAccuracy], 0.0, 1.0);
        var curve = new LossCurve();
        curve.LoadCsv(Path.Combine(output, "loss_curve.csv"));
        (long step, EvaluationResult written) = Assert.Single(curve.Evaluations);
        Assert.Equal(40, step);
        Assert.Equal(evaluation.Metrics[PretrainingEvaluation.MaskedLmLoss], written.Metrics[PretrainingEvaluation.MaskedLmLoss]);
    }

    [Fact]
    public async Task Evaluation_can_be_turned_off_or_read_from_held_out_text_which_is_checked_before_training()
    {
        using var dir = new TempDirectory("training");
        string corpus = Corpus(dir, 120);
        PretrainResult off = await Pretrainer.RunAsync(Options(corpus, Path.Combine(dir.Path, "off"), 2) with { EvaluationInstances = 0 });
        Assert.Null(off.Evaluation);
        Assert.DoesNotContain(",eval,", File.ReadAllText(Path.Combine(dir.Path, "off", "loss_curve.csv")));

        string heldOut = dir.File("held-out.txt", string.Join('\n', File.ReadLines(Path.Combine(SharedFolder.Root, "corpora", "tinyshakespeare.txt")).Skip(5000).Take(60)) + "\n");
        PretrainResult onHeldOut = await Pretrainer.RunAsync(Options(corpus, Path.Combine(dir.Path, "held"), 2) with { EvaluationCorpusFile = heldOut, EvaluationInstances = 3 });
        PretrainResult onTraining = await Pretrainer.RunAsync(Options(corpus, Path.Combine(dir.Path, "train"), 2) with { EvaluationInstances = 3 });
        Assert.NotEqual(onTraining.Evaluation!.Metrics[PretrainingEvaluation.MaskedLmLoss], onHeldOut.Evaluation!.Metrics[PretrainingEvaluation.MaskedLmLoss]);

        string missingOutput = Path.Combine(dir.Path, "missing");
        await Assert.ThrowsAsync<FileNotFoundException>(() => Pretrainer.RunAsync(Options(corpus, missingOutput, 2) with { EvaluationCorpusFile = Path.Combine(dir.Path, "nope.txt") }));
        Assert.False(Directory.Exists(Path.Combine(missingOutput, Pretrainer.CheckpointFolder)));

        string emptyOutput = Path.Combine(dir.Path, "empty");
        string empty = dir.File("empty.txt", "\n\n");
        var e = await Assert.ThrowsAsync<TrainingDataException>(() => Pretrainer.RunAsync(Options(corpus, emptyOutput, 2) with { EvaluationCorpusFile = empty }));
        Assert.Contains("empty.txt", e.Message);
        Assert.False(Directory.Exists(Path.Combine(emptyOutput, Pretrainer.CheckpointFolder)));
    }

    [Fact]
    public async Task The_loss_curve_and_progress_split_the_loss_into_its_masked_lm_and_sentence_order_parts()
    {
        using var dir = new TempDirectory("training");
        string output = Path.Combine(dir.Path, "out");
        var reports = new List<TrainingProgress>();
        await Pretrainer.RunAsync(Options(Corpus(dir, 200), output, 10), new SynchronousProgress(reports.Add));

        var curve = new LossCurve();
        curve.LoadCsv(Path.Combine(output, "loss_curve.csv"));
        Assert.Equal([5L, 10L], curve.Points.Select(p => p.Step));
        foreach (LossCurvePoint point in curve.Points)
        {
            double maskedLm = point.Terms[Pretrainer.MaskedLmTerm], sentenceOrder = point.Terms[Pretrainer.SentenceOrderTerm];
            Assert.Equal(point.Loss, maskedLm + sentenceOrder, 1e-4);
        }

        // An untrained sentence-order head guesses between two orders (≈ ln 2); masked-LM starts near ln(vocabulary).
        LossCurvePoint first = curve.Points[0];
        Assert.InRange(first.Terms[Pretrainer.SentenceOrderTerm], 0.4, 1.2);
        Assert.True(first.Terms[Pretrainer.MaskedLmTerm] > 4, $"masked-LM loss {first.Terms[Pretrainer.MaskedLmTerm]}");

        TrainingProgress[] training = reports.Where(r => r.Phase == TrainingPhase.Training).ToArray();
        Assert.Equal(curve.Points.Count, training.Length);
        for (int i = 0; i < training.Length; i++)
        {
            Assert.Equal(curve.Points[i].Terms, training[i].LossTerms!);
        }
    }

    [Fact]
    public async Task Resuming_from_a_checkpoint_continues_exactly_like_an_uninterrupted_run()
    {
        using var dir = new TempDirectory("training");
        string corpus = Corpus(dir, 200);
        string straight = Path.Combine(dir.Path, "straight");
        string pieces = Path.Combine(dir.Path, "pieces");
        PretrainResult full = await Pretrainer.RunAsync(Options(corpus, straight, 8));
        PretrainResult first = await Pretrainer.RunAsync(Options(corpus, pieces, 8) with { StopAfterStep = 3 });
        PretrainResult rest = await Pretrainer.RunAsync(Options(corpus, pieces, 8));

        Assert.Equal(3, first.Steps);
        Assert.False(first.Completed);
        Assert.Equal(3, rest.ResumedFromStep);
        Assert.Equal(8, rest.Steps);
        using SafetensorsFile a = SafetensorsFile.Open(Path.Combine(straight, "model.safetensors"));
        using SafetensorsFile b = SafetensorsFile.Open(Path.Combine(pieces, "model.safetensors"));
        Assert.Equal(a.Tensors.Keys.Order(), b.Tensors.Keys.Order());
        foreach (string name in a.Tensors.Keys)
        {
            using var x = a.ReadTensor(name);
            using var y = b.ReadTensor(name);
            Assert.True(x.eq(y).all().item<bool>(), $"{name} differs after resuming");
        }

        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "checkpoint", "optimizer.safetensors")), File.ReadAllBytes(Path.Combine(pieces, "checkpoint", "optimizer.safetensors")));
    }

    [Fact]
    public async Task Resuming_with_another_seed_is_refused()
    {
        using var dir = new TempDirectory("training");
        string corpus = Corpus(dir, 120);
        string output = Path.Combine(dir.Path, "out");
        await Pretrainer.RunAsync(Options(corpus, output, 4) with { StopAfterStep = 1 });
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Pretrainer.RunAsync(Options(corpus, output, 4) with { Seed = 99 }));
        Assert.Contains("seed", e.Message);
    }
}
