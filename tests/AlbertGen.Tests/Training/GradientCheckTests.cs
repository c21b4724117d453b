using AlbertGen.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Training;

/// <summary>Back-propagated gradients of every head against central finite differences, in float64 on a tiny model.</summary>
[Collection(TorchRandomCollection.Name)]
public class GradientCheckTests
{
    private const double Step = 1e-6;

    private static AlbertConfig Config(int labels = 3) => new()
    {
        VocabSize = 30,
        EmbeddingSize = 6,
        HiddenSize = 8,
        NumHiddenLayers = 2,
        NumAttentionHeads = 2,
        IntermediateSize = 12,
        MaxPositionEmbeddings = 16,
        NumLabels = labels,
        Id2Label = Enumerable.Range(0, labels).Select(i => $"LABEL_{i}").ToArray(),
        HiddenDropoutProb = 0,
        AttentionProbsDropoutProb = 0,
        ClassifierDropoutProb = 0,
    };

    private static Tensor Ids(params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return tensor(Enumerable.Range(0, (int)n).Select(i => (long)(5 + ((i * 7) % 23))).ToArray(), shape);
    }

    public static TheoryData<string> Heads => new() { "sequence", "token", "qa", "choice", "mlm", "pretraining" };

    [Theory]
    [MemberData(nameof(Heads))]
    public void Gradients_match_finite_differences(string head)
    {
        torch.manual_seed(7);
        using var scope = NewDisposeScope();
        (nn.Module model, Func<Tensor> loss) = Build(head);
        model.to(ScalarType.Float64);
        model.train();
        foreach (Parameter p in model.parameters())
        {
            p.grad = null;
        }

        Tensor l = loss();
        l.backward();
        int checkedCount = 0;
        foreach ((string name, Parameter p) in model.named_parameters())
        {
            using Tensor flat = p.detach().view(-1);
            long n = flat.shape[0];
            foreach (long index in new[] { 0L, n / 2, n - 1 })
            {
                double analytic = p.grad!.view(-1)[index].item<double>();
                double numeric;
                using (no_grad())
                {
                    flat[index].add_(Step);
                    double plus = loss().item<double>();
                    flat[index].add_(-2 * Step);
                    double minus = loss().item<double>();
                    flat[index].add_(Step);
                    numeric = (plus - minus) / (2 * Step);
                }

                Assert.True(Math.Abs(numeric - analytic) <= 1e-6 + (1e-4 * Math.Abs(analytic)),
                    $"{head}: d loss / d {name}[{index}] back-propagated {analytic:R}, finite difference {numeric:R}");
                checkedCount++;
            }
        }

        Assert.True(checkedCount > 30);
        model.Dispose();
    }

    private static (nn.Module, Func<Tensor>) Build(string head)
    {
        Tensor ids = Ids(2, 6);
        Tensor mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, 6]);
        Tensor types = tensor(new long[] { 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1 }, [2, 6]);
        switch (head)
        {
            case "sequence":
                var seq = new AlbertForSequenceClassification(Config());
                Tensor seqLabels = tensor(new long[] { 2, 0 });
                return (seq, () => seq.forward(new AlbertInputs { InputIds = ids, AttentionMask = mask, TokenTypeIds = types, Labels = seqLabels }).Loss!);
            case "token":
                var tok = new AlbertForTokenClassification(Config());
                Tensor tokLabels = tensor(new long[] { -100, 1, 2, 0, 1, -100, -100, 2, 2, 1, -100, -100 }, [2, 6]);
                return (tok, () => tok.forward(new AlbertInputs { InputIds = ids, AttentionMask = mask, Labels = tokLabels }).Loss!);
            case "qa":
                var qa = new AlbertForQuestionAnswering(Config(2));
                Tensor start = tensor(new long[] { 3, 2 }), end = tensor(new long[] { 4, 5 });
                return (qa, () => qa.forward(new AlbertInputs { InputIds = ids, AttentionMask = mask, TokenTypeIds = types, StartPositions = start, EndPositions = end }).Loss!);
            case "choice":
                var mc = new AlbertForMultipleChoice(Config());
                Tensor choiceIds = Ids(2, 3, 4);
                Tensor choiceLabels = tensor(new long[] { 1, 2 });
                return (mc, () => mc.forward(new AlbertInputs { InputIds = choiceIds, Labels = choiceLabels }).Loss!);
            case "mlm":
                var mlm = new AlbertForMaskedLM(Config());
                Tensor mlmLabels = tensor(new long[] { -100, 7, -100, -100, 9, -100, 11, -100, -100, -100, -100, -100 }, [2, 6]);
                return (mlm, () => mlm.forward(new AlbertInputs { InputIds = ids, AttentionMask = mask, Labels = mlmLabels }).Loss!);
            default:
                var pre = new AlbertForPreTraining(Config(2));
                Tensor preLabels = tensor(new long[] { -100, 7, -100, -100, 9, -100, 11, -100, -100, -100, -100, -100 }, [2, 6]);
                Tensor order = tensor(new long[] { 1, 0 });
                return (pre, () => pre.forward(new AlbertInputs { InputIds = ids, AttentionMask = mask, TokenTypeIds = types, Labels = preLabels, SentenceOrderLabel = order }).Loss!);
        }
    }
}
