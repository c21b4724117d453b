using AlbertGen.Tasks;

namespace AlbertGen.Tests.Tasks;

/// <summary>The token classification pipeline on the tiny 5-label checkpoint.</summary>
public sealed class TokenClassificationTests : IDisposable
{
    private const string Text = "Hello world! The quick brown fox jumps over the lazy dog in Paris.";
    private readonly TokenClassificationPipeline _pipeline = TokenClassificationPipeline.FromPretrained(TaskModelDirectory.Head("tokcls5"));

    public void Dispose() => _pipeline.Dispose();

    [Fact]
    public void None_gives_every_non_special_token_with_its_index_and_span()
    {
        IReadOnlyList<TokenEntity> tokens = _pipeline.Predict(Text, ignoreLabels: []);
        var encoding = _pipeline.Tokenizer.Encode(Text);
        Assert.Equal(encoding.Length - 2, tokens.Count);
        Assert.Equal(Enumerable.Range(1, encoding.Length - 2), tokens.Select(t => t.Index!.Value));
        Assert.All(tokens, t =>
        {
            Assert.Equal(encoding.Tokens[t.Index!.Value], t.Word);
            Assert.Equal(t.Word.TrimStart('▁'), Text[t.Start..t.End].ToLowerInvariant());
            Assert.InRange(t.Score, 1f / 5, 1f);
        });
    }

    [Theory]
    [InlineData(AggregationStrategy.Simple)]
    [InlineData(AggregationStrategy.First)]
    [InlineData(AggregationStrategy.Average)]
    [InlineData(AggregationStrategy.Max)]
    public void Groups_cover_the_text_in_order_and_their_word_is_the_text_they_span(AggregationStrategy strategy)
    {
        IReadOnlyList<TokenEntity> groups = _pipeline.Predict(Text, strategy, ignoreLabels: []);
        Assert.NotEmpty(groups);
        Assert.All(groups, g => Assert.Null(g.Index));
        Assert.All(groups, g => Assert.Equal(Text[g.Start..g.End].ToLowerInvariant(), g.Word));
        Assert.True(groups.Zip(groups.Skip(1)).All(p => p.First.End <= p.Second.Start));
        Assert.Equal(0, groups[0].Start);
        Assert.Equal(Text.Length, groups[^1].End);
    }

    [Fact]
    public void Ignored_labels_are_left_out()
    {
        IReadOnlyList<TokenEntity> all = _pipeline.Predict(Text, ignoreLabels: []);
        string common = all.GroupBy(t => t.Entity).OrderByDescending(g => g.Count()).First().Key;
        IReadOnlyList<TokenEntity> filtered = _pipeline.Predict(Text, ignoreLabels: [common]);
        Assert.Equal(all.Count(t => t.Entity != common), filtered.Count);
    }

    [Fact]
    public void A_batch_gives_what_single_calls_give()
    {
        string[] texts = [Text, "short one", "Another sentence, with a comma."];
        var batch = _pipeline.PredictBatch(texts, AggregationStrategy.Simple, ignoreLabels: []);
        for (int i = 0; i < texts.Length; i++)
        {
            var single = _pipeline.Predict(texts[i], AggregationStrategy.Simple, ignoreLabels: []);
            Assert.Equal(single.Select(e => (e.Entity, e.Word, e.Start, e.End)), batch[i].Select(e => (e.Entity, e.Word, e.Start, e.End)));
        }
    }
}
