using AlbertGen.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Training;

/// <summary>The pretrainer's loss, which runs the masked-LM head only at labelled positions, against HuggingFace's full forward.</summary>
[Collection(TorchRandomCollection.Name)]
public class PretrainingLossesTests
{
    [Fact]
    public void Gathered_masked_LM_loss_and_its_gradients_equal_the_full_forward()
    {
        torch.manual_seed(11);
        using var scope = NewDisposeScope();
        using var model = new AlbertForPreTraining(TrainingFixtures.TinyConfig(dropout: 0.0));
        model.train();
        var inputs = new AlbertInputs
        {
            InputIds = tensor(new long[] { 2, 17, 4, 30, 41, 3, 9, 4, 3, 0, 2, 4, 8, 12, 3, 50, 61, 4, 27, 3 }, [2, 10]),
            AttentionMask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 10]),
            TokenTypeIds = tensor(new long[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1 }, [2, 10]),
            Labels = tensor(new long[] { -100, -100, 23, -100, -100, -100, -100, 15, -100, -100, -100, 33, -100, -100, -100, -100, 70, 44, -100, -100 }, [2, 10]),
            SentenceOrderLabel = tensor(new long[] { 1, 0 }),
        };

        using AlbertForPreTrainingOutput full = model.forward(inputs);
        full.Loss!.backward();
        Dictionary<string, Tensor> expected = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        model.zero_grad();

        (Tensor logits, Tensor labels, Tensor orderLogits) = model.PredictAtLabels(inputs);
        Tensor maskedLm = Losses.CrossEntropy(logits, labels);
        Tensor sentenceOrder = model.SentenceOrderLoss(orderLogits, inputs.SentenceOrderLabel);
        Tensor loss = maskedLm.add(sentenceOrder);
        loss.backward();

        Assert.Equal(full.Loss.ToDouble(), loss.ToDouble(), 5);
        using Tensor sopOnly = nn.functional.cross_entropy(full.SopLogits, inputs.SentenceOrderLabel);
        Assert.Equal(sopOnly.ToDouble(), sentenceOrder.ToDouble(), 6);
        foreach ((string name, Parameter p) in model.named_parameters())
        {
            double difference = (p.grad! - expected[name]).abs().max().ToDouble();
            Assert.True(difference <= 1e-6, $"gradient of {name} differs by {difference}");
        }
    }
}
