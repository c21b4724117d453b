using AlbertGen.Modeling;
using AlbertGen.Tasks;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Typed;

/// <summary>The typed face gives the same numbers as the dynamic one, and classification results carry the generated labels.</summary>
public sealed class TypedTaskTests
{
    private static string Single3 => Path.Combine(SharedFolder.Model("tiny"), "heads", "seqcls-single3");

    [Fact]
    public void Typed_and_dynamic_models_give_identical_logits()
    {
        using var scope = NewDisposeScope();
        using var typed = TinyTyped.ForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));
        using var dynamic = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));
        Tensor ids = randint(0, TinyTyped.VocabSize, [2, 9], dtype: int64);

        using MaskedLMOutput a = typed.forward(new AlbertInputs { InputIds = ids });
        using MaskedLMOutput b = dynamic.forward(new AlbertInputs { InputIds = ids });

        Assert.True(a.Logits.allclose(b.Logits, rtol: 0, atol: 0), "typed and dynamic logits differ");
    }

    [Fact]
    public void A_typed_classifier_returns_the_generated_label_enum()
    {
        using var model = TinySingle3.ForSequenceClassification.FromPretrained(Single3);
        using var classifier = model.CreateClassifier(TinySingle3.LoadTokenizer(SharedFolder.Tokenizer));

        var results = classifier.Classify("the king is here", topK: null);

        Assert.Equal(TinySingle3.NumLabels, results.Count);
        Assert.Equal(
            Enum.GetValues<TinySingle3.ForSequenceClassification.Label>().Order(),
            results.Select(r => r.Label).Order());
        Assert.All(results, r => Assert.Equal(TinySingle3.ForSequenceClassification.GetName(r.Label), r.LabelName));
        Assert.Equal(1.0, results.Sum(r => r.Score), 5);
    }
}
