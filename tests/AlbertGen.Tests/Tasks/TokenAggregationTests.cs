using AlbertGen.Tasks;

namespace AlbertGen.Tests.Tasks;

/// <summary>
/// HuggingFace TokenClassificationPipeline's aggregation, on hand-made scores (no model): the docstring's
/// "micro|soft| com|pany|" example worked by hand for every strategy, B-/I- grouping, ignored labels, subword detection.
/// </summary>
public sealed class TokenAggregationTests
{
    private static readonly string[] Labels = ["O", "B-ENT", "I-ENT", "I-NAME"];
    private const string Sentence = "microsoft company";

    private static string ToText(IEnumerable<string> tokens) => string.Concat(tokens).Replace('▁', ' ').Trim();

    /// <summary>Tokens ▁micro soft ▁com pany with the given label probabilities (logits = log p, so softmax gives p back).</summary>
    private static List<PreEntity> MicrosoftCompany(float[] micro, float[] soft, float[] com, float[] pany)
    {
        string[] tokens = ["[CLS]", "▁micro", "soft", "▁com", "pany", "[SEP]"];
        int[] ids = [2, 100, 101, 102, 103, 3];
        int[] special = [1, 0, 0, 0, 0, 1];
        (int, int)[] offsets = [(0, 0), (0, 5), (5, 9), (10, 13), (13, 17), (0, 0)];
        float[] none = [0, 0, 0, 0];
        float[][] logits = [.. new[] { none, micro, soft, com, pany, none }.Select(p => p.Select(x => (float)Math.Log(Math.Max(x, 1e-30))).ToArray())];
        return TokenAggregator.Gather(Sentence, tokens, ids, special, offsets, logits, unknownId: 1);
    }

    private static List<PreEntity> Example() => MicrosoftCompany(
        [0.05f, 0.9f, 0.03f, 0.02f],
        [0.05f, 0.05f, 0.3f, 0.6f],
        [0.1f, 0.05f, 0.8f, 0.05f],
        [0.2f, 0.05f, 0.7f, 0.05f]);

    private static List<TokenEntity> Run(List<PreEntity> pre, AggregationStrategy strategy, params string[] ignore) =>
        TokenAggregator.Aggregate(pre, Labels, strategy, ignore, ToText);

    [Fact]
    public void Gathering_skips_special_tokens_and_marks_pieces_that_continue_a_word()
    {
        List<PreEntity> pre = Example();
        Assert.Equal([1, 2, 3, 4], pre.Select(p => p.Index));
        Assert.Equal([false, true, false, true], pre.Select(p => p.IsSubword));
        Assert.All(pre, p => Assert.Equal(1.0, p.Scores.Sum(), 5));
    }

    [Fact]
    public void None_gives_each_token_its_best_label_with_index()
    {
        List<TokenEntity> entities = Run(Example(), AggregationStrategy.None);
        Assert.Equal(
            [
                new TokenEntity("B-ENT", 0.9f, "▁micro", 0, 5, 1),
                new TokenEntity("I-NAME", 0.6f, "soft", 5, 9, 2),
                new TokenEntity("I-ENT", 0.8f, "▁com", 10, 13, 3),
                new TokenEntity("I-ENT", 0.7f, "pany", 13, 17, 4),
            ],
            entities.Select(Round));
    }

    [Fact]
    public void Simple_groups_adjacent_tokens_of_one_tag_even_inside_a_word()
    {
        Assert.Equal(
            [
                new TokenEntity("ENT", 0.9f, "micro", 0, 5, null),
                new TokenEntity("NAME", 0.6f, "soft", 5, 9, null),
                new TokenEntity("ENT", 0.75f, "company", 10, 17, null),
            ],
            Run(Example(), AggregationStrategy.Simple).Select(Round));
    }

    [Fact]
    public void First_takes_each_words_first_token_then_groups_B_and_I()
    {
        // microsoft → B-ENT 0.9 (from "micro"), company → I-ENT 0.8 (from "com"); I-ENT continues B-ENT.
        Assert.Equal(
            [new TokenEntity("ENT", 0.85f, "microsoft company", 0, 17, null)],
            Run(Example(), AggregationStrategy.First).Select(Round));
    }

    [Fact]
    public void Average_takes_the_best_label_of_the_averaged_scores()
    {
        // microsoft: mean = [0.05, 0.475, 0.165, 0.31] → B-ENT 0.475; company: [0.15, 0.05, 0.75, 0.05] → I-ENT 0.75.
        Assert.Equal(
            [new TokenEntity("ENT", 0.6125f, "microsoft company", 0, 17, null)],
            Run(Example(), AggregationStrategy.Average).Select(Round));
    }

    [Fact]
    public void Max_takes_the_label_of_the_most_confident_token_of_each_word()
    {
        List<PreEntity> pre = MicrosoftCompany(
            [0.05f, 0.9f, 0.03f, 0.02f],
            [0.01f, 0.02f, 0.02f, 0.95f], // "soft" is surer than "micro": the word becomes I-NAME
            [0.1f, 0.05f, 0.8f, 0.05f],
            [0.2f, 0.05f, 0.7f, 0.05f]);
        Assert.Equal(
            [
                new TokenEntity("NAME", 0.95f, "microsoft", 0, 9, null),
                new TokenEntity("ENT", 0.8f, "company", 10, 17, null),
            ],
            Run(pre, AggregationStrategy.Max).Select(Round));
        Assert.Equal(
            [new TokenEntity("ENT", 0.85f, "microsoft company", 0, 17, null)],
            Run(pre, AggregationStrategy.First).Select(Round));
    }

    [Fact]
    public void Two_B_entities_in_a_row_are_two_groups_and_labels_without_prefix_join_as_I()
    {
        var entities = new List<TokenEntity>
        {
            new("B-PER", 0.9f, "▁ann", 0, 3, 1),
            new("B-PER", 0.8f, "▁bob", 4, 7, 2),
            new("I-PER", 0.6f, "▁smith", 8, 13, 3),
            new("LOC", 0.5f, "▁paris", 14, 19, 4),
            new("LOC", 0.7f, "▁france", 20, 26, 5),
            new("I-ORG", 0.4f, "▁acme", 27, 31, 6),
        };
        Assert.Equal(
            [
                new TokenEntity("PER", 0.9f, "ann", 0, 3, null),
                new TokenEntity("PER", 0.7f, "bob smith", 4, 13, null),
                new TokenEntity("LOC", 0.6f, "paris france", 14, 26, null),
                new TokenEntity("ORG", 0.4f, "acme", 27, 31, null),
            ],
            TokenAggregator.GroupEntities(entities, ToText).Select(Round));
    }

    [Fact]
    public void Ignored_labels_are_dropped_after_grouping()
    {
        List<PreEntity> pre = Example();
        Assert.DoesNotContain(Run(pre, AggregationStrategy.None, "I-ENT"), e => e.Entity == "I-ENT");
        Assert.Equal(["NAME"], Run(pre, AggregationStrategy.Simple, "ENT").Select(e => e.Entity));
        Assert.Empty(Run(pre, AggregationStrategy.First, "ENT"));
    }

    [Fact]
    public void Subwords_follow_huggingfaces_fallback_heuristic_and_unknown_tokens_take_their_text()
    {
        const string text = "york,ny\nzz ∮";
        string[] tokens = ["▁york", ",", "ny", "▁zz", "∮"];
        (int, int)[] offsets = [(0, 4), (4, 5), (5, 7), (8, 10), (11, 12)];
        float[][] logits = [.. tokens.Select(_ => new float[] { 0, 1 })];
        List<PreEntity> pre = TokenAggregator.Gather(text, tokens, [10, 11, 12, 13, 1], [0, 0, 0, 0, 0], offsets, logits, unknownId: 1);
        // "zz" follows a newline, not a space: HuggingFace's heuristic counts it as a subword.
        Assert.Equal([false, true, true, true, false], pre.Select(p => p.IsSubword));
        Assert.Equal("∮", pre[4].Word);
    }

    [Fact]
    public void Word_strategies_refuse_none_and_simple()
    {
        Assert.Throws<ArgumentException>(() => TokenAggregator.AggregateWords(Example(), Labels, AggregationStrategy.Simple));
    }

    private static TokenEntity Round(TokenEntity e) => e with { Score = MathF.Round(e.Score, 4) };
}
