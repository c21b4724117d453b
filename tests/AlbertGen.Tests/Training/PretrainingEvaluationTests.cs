using AlbertGen.Modeling;
using AlbertGen.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Training;

/// <summary>The pretraining evaluation's metrics against HuggingFace's full forward pass, across batchings and modes.</summary>
[Collection(TorchRandomCollection.Name)]
public class PretrainingEvaluationTests
{
    /// <summary>Instances of the fixture tokenizer's ids, with uneven numbers of masked positions (one has none).</summary>
    private static List<PretrainingInstance> Instances()
    {
        var random = new Random(5);
        var instances = new List<PretrainingInstance>();
        for (int i = 0; i < 7; i++)
        {
            int length = 6 + (i * 3 % 9);
            int[] ids = [2, .. Enumerable.Range(0, length - 3).Select(_ => random.Next(5, 900)), 3, 3];
            int[] types = [.. Enumerable.Range(0, length).Select(t => t < length / 2 ? 0 : 1)];
            long[] labels = [.. Enumerable.Repeat(-100L, length)];
            for (int m = 0; m < i % 4; m++)
            {
                labels[1 + m] = ids[1 + m];
                ids[1 + m] = 4; // [MASK]
            }

            instances.Add(new PretrainingInstance(ids, types, labels, i % 2));
        }

        return instances;
    }

    [Fact]
    public void Metrics_equal_those_computed_from_the_full_forward_pass()
    {
        manual_seed(3);
        using var model = new AlbertForPreTraining(TrainingFixtures.TinyConfig());
        List<PretrainingInstance> instances = Instances();

        EvaluationResult result = PretrainingEvaluation.Evaluate(model, instances, batchSize: 64, padTokenId: 0);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        (AlbertInputs inputs, _) = Pretrainer.Collate(instances, 0);
        using AlbertForPreTrainingOutput full = model.forward(inputs);
        Tensor labels = inputs.Labels!.view(-1);
        Tensor labelled = labels.ne(-100);
        Tensor predicted = full.PredictionLogits.view(-1, model.Config.VocabSize).argmax(-1);
        double expectedMlmAccuracy = predicted.eq(labels).logical_and(labelled).sum().ToDouble() / labelled.sum().ToDouble();
        double expectedMlmLoss = nn.functional.cross_entropy(full.PredictionLogits.view(-1, model.Config.VocabSize), labels).ToDouble();
        double expectedSopLoss = nn.functional.cross_entropy(full.SopLogits, inputs.SentenceOrderLabel!).ToDouble();
        double expectedSopAccuracy = full.SopLogits.argmax(-1).eq(inputs.SentenceOrderLabel!).sum().ToDouble() / instances.Count;

        Assert.Equal(expectedMlmAccuracy, result.Metrics[PretrainingEvaluation.MaskedLmAccuracy], 10);
        Assert.Equal(expectedMlmLoss, result.Metrics[PretrainingEvaluation.MaskedLmLoss], 5);
        Assert.Equal(expectedSopAccuracy, result.Metrics[PretrainingEvaluation.SentenceOrderAccuracy], 10);
        Assert.Equal(expectedSopLoss, result.Metrics[PretrainingEvaluation.SentenceOrderLoss], 5);
        Assert.Equal(PretrainingEvaluation.MaskedLmAccuracy, result.PrimaryMetric);
    }

    [Fact]
    public void Batches_of_unequal_masked_counts_weigh_every_position_and_sequence_once()
    {
        manual_seed(4);
        using var model = new AlbertForPreTraining(TrainingFixtures.TinyConfig());
        List<PretrainingInstance> instances = Instances();

        EvaluationResult whole = PretrainingEvaluation.Evaluate(model, instances, batchSize: 64, padTokenId: 0);
        EvaluationResult inThrees = PretrainingEvaluation.Evaluate(model, instances, batchSize: 3, padTokenId: 0);

        foreach ((string name, double value) in whole.Metrics)
        {
            Assert.Equal(value, inThrees.Metrics[name], 5);
        }
    }

    [Fact]
    public void The_model_is_returned_to_the_mode_it_was_in()
    {
        using var model = new AlbertForPreTraining(TrainingFixtures.TinyConfig(dropout: 0.1));
        model.train();
        PretrainingEvaluation.Evaluate(model, Instances(), 4, 0);
        Assert.True(model.training);
        model.eval();
        PretrainingEvaluation.Evaluate(model, Instances(), 4, 0);
        Assert.False(model.training);
    }

    [Fact]
    public void Nothing_to_evaluate_is_refused()
    {
        using var model = new AlbertForPreTraining(TrainingFixtures.TinyConfig());
        Assert.Throws<ArgumentException>(() => PretrainingEvaluation.Evaluate(model, [], 4, 0));
        PretrainingInstance unmasked = Instances()[0];
        var e = Assert.Throws<ArgumentException>(() => PretrainingEvaluation.Evaluate(model, [unmasked], 4, 0));
        Assert.Contains("masked", e.Message);
    }
}
