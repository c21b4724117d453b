using AlbertGen.Modeling;
using AlbertGen.Tasks;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Tasks;

/// <summary>Text classification: HuggingFace's function_to_apply rules, top-k, pairs, batches, typed labels.</summary>
public sealed class TextClassificationTests
{
    public enum ThreeLabels
    {
        First,
        Second,
        Third,
    }

    [Theory]
    [InlineData(ProblemType.Regression, 1, ClassificationFunction.None)]
    [InlineData(ProblemType.MultiLabelClassification, 4, ClassificationFunction.Sigmoid)]
    [InlineData(ProblemType.SingleLabelClassification, 3, ClassificationFunction.Softmax)]
    [InlineData(null, 1, ClassificationFunction.Sigmoid)]
    [InlineData(null, 3, ClassificationFunction.Softmax)]
    [InlineData(ProblemType.SingleLabelClassification, 1, ClassificationFunction.Sigmoid)]
    public void The_default_function_follows_huggingface(ProblemType? problem, int labels, ClassificationFunction expected)
    {
        var config = new AlbertConfig { ProblemType = problem, NumLabels = labels, Id2Label = [.. Enumerable.Range(0, labels).Select(i => $"LABEL_{i}")] };
        Assert.Equal(expected, TextClassificationPipeline.DefaultFunction(config));
    }

    [Fact]
    public void Single_label_scores_are_a_softmax_over_all_labels_best_first()
    {
        using var pipeline = TextClassificationPipeline.FromPretrained(TaskModelDirectory.Head("seqcls-single3"));
        IReadOnlyList<TextClassification<string>> all = pipeline.Classify("a fine day in the park", topK: null);
        Assert.Equal(3, all.Count);
        Assert.Equal(1.0, all.Sum(r => (double)r.Score), 5);
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.All(all, r => Assert.Equal($"LABEL_{r.LabelId}", r.Label));

        float[] logits = RawLogits(pipeline, "a fine day in the park");
        Assert.All(all, r => Assert.Equal(TextClassificationPipeline.Score(logits, ClassificationFunction.Softmax)[r.LabelId], r.Score, 5));
        Assert.Equal(all[0], Assert.Single(pipeline.Classify("a fine day in the park")));
    }

    [Fact]
    public void Regression_returns_the_raw_logit()
    {
        using var pipeline = TextClassificationPipeline.FromPretrained(TaskModelDirectory.Head("seqcls-regression1"));
        TextClassification<string> result = Assert.Single(pipeline.Classify("how much is it"));
        Assert.Equal(ClassificationFunction.None, pipeline.DefaultFunction);
        Assert.Equal(RawLogits(pipeline, "how much is it")[0], result.Score, 5);
    }

    [Fact]
    public void Multi_label_scores_are_independent_sigmoids()
    {
        using var pipeline = TextClassificationPipeline.FromPretrained(TaskModelDirectory.Head("seqcls-multilabel4"));
        IReadOnlyList<TextClassification<string>> all = pipeline.Classify("tags for this", topK: null);
        float[] logits = RawLogits(pipeline, "tags for this");
        Assert.Equal(4, all.Count);
        Assert.All(all, r => Assert.Equal(1 / (1 + Math.Exp(-logits[r.LabelId])), r.Score, 5));
    }

    [Fact]
    public void Pairs_and_batches_give_the_same_scores_as_single_calls()
    {
        using var pipeline = TextClassificationPipeline.FromPretrained(TaskModelDirectory.Head("seqcls-single3"), new PipelineOptions { BatchSize = 2 });
        (string, string?)[] inputs = [("is it raining", "yes it is"), ("short", null), ("a much longer first text of the batch", "and its pair")];
        var batch = pipeline.ClassifyBatch(inputs, topK: null);
        for (int i = 0; i < inputs.Length; i++)
        {
            var single = pipeline.Classify(inputs[i].Item1, inputs[i].Item2, topK: null);
            Assert.Equal(single.Select(r => r.LabelId), batch[i].Select(r => r.LabelId));
            Assert.All(single.Zip(batch[i]), p => Assert.Equal(p.First.Score, p.Second.Score, 5));
        }

        Assert.NotEqual(pipeline.Classify("is it raining", "yes it is", topK: null)[0].Score, pipeline.Classify("is it raining", topK: null)[0].Score);
    }

    [Fact]
    public void An_enum_label_mapping_carries_typed_labels()
    {
        using var pipeline = TextClassificationPipeline.FromPretrained(TaskModelDirectory.Head("seqcls-single3"), LabelMapping.Enum<ThreeLabels>);
        IReadOnlyList<TextClassification<ThreeLabels>> all = pipeline.Classify("typed", topK: null);
        Assert.All(all, r => Assert.Equal((ThreeLabels)r.LabelId, r.Label));
        Assert.All(all, r => Assert.Equal($"LABEL_{r.LabelId}", r.LabelName));
    }

    [Fact]
    public void An_enum_without_a_member_for_every_label_is_refused()
    {
        var config = new AlbertConfig { NumLabels = 4, Id2Label = ["a", "b", "c", "d"] };
        Assert.Throws<ArgumentException>(() => LabelMapping.Enum<ThreeLabels>(config));
    }

    [Fact]
    public void The_function_can_be_overridden_per_call()
    {
        using var pipeline = TextClassificationPipeline.FromPretrained(TaskModelDirectory.Head("seqcls-single3"));
        float[] logits = RawLogits(pipeline, "raw please");
        IReadOnlyList<TextClassification<string>> raw = pipeline.Classify("raw please", topK: null, function: ClassificationFunction.None);
        Assert.All(raw, r => Assert.Equal(logits[r.LabelId], r.Score, 5));
    }

    private static float[] RawLogits(TextClassificationPipeline<string> pipeline, string text)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var inputs = pipeline.Tokenizer.Encode(text).ToTensors();
        using SequenceClassifierOutput output = pipeline.Model.forward(new AlbertInputs { InputIds = inputs.InputIds, TokenTypeIds = inputs.TokenTypeIds });
        return output.Logits[0].data<float>().ToArray();
    }
}
