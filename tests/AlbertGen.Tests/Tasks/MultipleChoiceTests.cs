using AlbertGen.Modeling;
using AlbertGen.Tasks;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Tasks;

/// <summary>Multiple choice: one score per choice, softmax over the choices.</summary>
public sealed class MultipleChoiceTests : IDisposable
{
    private readonly MultipleChoicePipeline _pipeline = MultipleChoicePipeline.FromPretrained(TaskModelDirectory.Head("multiplechoice"));

    public void Dispose() => _pipeline.Dispose();

    [Fact]
    public void Each_choice_gets_a_score_in_order_and_the_scores_sum_to_one()
    {
        string[] choices = ["in a house", "under the bridge near the old river", "nowhere"];
        IReadOnlyList<ChoiceScore> scores = _pipeline.Choose("where does the fox live?", choices);
        Assert.Equal(choices, scores.Select(s => s.Choice));
        Assert.Equal([0, 1, 2], scores.Select(s => s.Index));
        Assert.Equal(1.0, scores.Sum(s => (double)s.Score), 5);
    }

    [Fact]
    public void Scores_are_the_softmax_of_the_models_logits_for_the_prompt_choice_pairs()
    {
        string[] choices = ["yes", "no it is not"];
        IReadOnlyList<ChoiceScore> scores = _pipeline.Choose("is it?", choices);

        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var rows = _pipeline.Tokenizer.EncodeBatch([("is it?", "yes"), ("is it?", "no it is not")], new() { Padding = AlbertGen.Tokenization.PaddingStrategy.Longest });
        using var t = rows.ToTensors();
        using MultipleChoiceOutput output = _pipeline.Model.forward(new AlbertInputs
        {
            InputIds = t.InputIds.unsqueeze(0), AttentionMask = t.AttentionMask.unsqueeze(0), TokenTypeIds = t.TokenTypeIds.unsqueeze(0),
        });
        float[] expected = output.Logits[0].softmax(0).data<float>().ToArray();
        Assert.Equal(expected[0], scores[0].Score, 5);
        Assert.Equal(expected[1], scores[1].Score, 5);
    }

    [Fact]
    public void No_choices_is_refused()
    {
        Assert.Throws<ArgumentException>(() => _pipeline.Choose("prompt", []));
    }
}
