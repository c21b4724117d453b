using AlbertGen.Modeling;
using AlbertGen.Tasks;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Tasks;

/// <summary>Extractive QA: HuggingFace's span scoring, windows over long contexts, character spans.</summary>
public sealed class QuestionAnsweringTests : IDisposable
{
    private const string Question = "where does the fox live?";
    private const string ShortContext = "The quick brown fox lives in a small house near the river.";

    private static readonly string LongContext = string.Join(" ", Enumerable.Range(0, 12).Select(i =>
        $"Sentence {i} tells how the quick brown fox jumps over the lazy dog near house number {i * 7}."));

    private readonly QuestionAnsweringPipeline _pipeline = QuestionAnsweringPipeline.FromPretrained(TaskModelDirectory.Head("qa"));

    public void Dispose() => _pipeline.Dispose();

    [Fact]
    public void The_scorer_picks_the_best_allowed_span_within_the_length_limit()
    {
        //                 CLS   q     SEP   c1    c2    c3    c4    SEP
        float[] start = [5, 9, 0, 1, 4, 0, 0, 0];
        float[] end = [5, 0, 9, 0, 1, 0, 6, 0];
        bool[] allowed = [true, false, false, true, true, true, true, false];
        List<TokenSpan> spans = AnswerSpanScorer.Score(start, end, allowed, 3, maxAnswerLength: 3, out float nullScore);
        Assert.Equal(new TokenSpan(4, 6, spans[0].Score), spans[0]); // c2..c4: the question and SEP are excluded
        Assert.All(spans, s => Assert.InRange(s.End - s.Start, 0, 2));
        Assert.All(spans, s => Assert.True(allowed[s.Start] && allowed[s.End] && s.Start > 0));

        // The reference: softmax over allowed tokens (others at -10000), score = p_start · p_end.
        float[] pStart = Softmax([5, -10000, -10000, 1, 4, 0, 0, -10000]);
        float[] pEnd = Softmax([5, -10000, -10000, 0, 1, 0, 6, -10000]);
        Assert.Equal(pStart[4] * pEnd[6], spans[0].Score, 6);
        Assert.Equal(pStart[0] * pEnd[0], nullScore, 6);

        List<TokenSpan> shortOnly = AnswerSpanScorer.Score(start, end, allowed, 1, maxAnswerLength: 1, out _);
        Assert.Equal(shortOnly[0].Start, shortOnly[0].End);
    }

    [Fact]
    public void Answers_are_the_context_text_between_start_and_end_best_first()
    {
        QuestionAnsweringResult result = _pipeline.Answer(Question, ShortContext, new QuestionAnsweringOptions { TopK = 5 });
        Assert.Equal(1, result.WindowCount);
        Assert.Equal(5, result.Answers.Count);
        Assert.All(result.Answers, a => Assert.Equal(ShortContext[a.Start..a.End], a.Answer));
        Assert.All(result.Answers, a => Assert.NotEqual("", a.Answer));
        Assert.True(result.Answers.Zip(result.Answers.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.Equal(result.Answers.Count, result.Answers.Select(a => a.Answer.ToLowerInvariant()).Distinct().Count());
    }

    [Fact]
    public void Aligned_answers_are_whole_words_and_unaligned_ones_token_spans()
    {
        QuestionAnsweringResult aligned = _pipeline.Answer(Question, ShortContext, new QuestionAnsweringOptions { TopK = 3 });
        Assert.All(aligned.Answers, a =>
        {
            Assert.True(a.Start == 0 || ShortContext[a.Start - 1] == ' ');
            Assert.True(a.End == ShortContext.Length || ShortContext[a.End] == ' ');
        });

        QuestionAnsweringResult raw = _pipeline.Answer(Question, ShortContext, new QuestionAnsweringOptions { TopK = 3, AlignToWords = false });
        Assert.All(raw.Answers, a => Assert.Equal(ShortContext[a.Start..a.End], a.Answer));
    }

    [Fact]
    public void A_context_that_fits_gives_the_same_answer_for_any_window_length_that_holds_it()
    {
        var tight = _pipeline.Answer(Question, ShortContext, new QuestionAnsweringOptions { MaxSeqLength = _pipeline.Tokenizer.Encode(Question, ShortContext).Length, TopK = 3 });
        var roomy = _pipeline.Answer(Question, ShortContext, new QuestionAnsweringOptions { MaxSeqLength = 64, TopK = 3 });
        Assert.Equal(1, tight.WindowCount);
        Assert.Equal(roomy.Answers.Select(a => (a.Answer, a.Start, a.End)), tight.Answers.Select(a => (a.Answer, a.Start, a.End)));
        Assert.All(roomy.Answers.Zip(tight.Answers), p => Assert.Equal(p.First.Score, p.Second.Score, 5));
    }

    [Fact]
    public void A_long_context_is_split_into_windows_and_the_best_span_of_all_windows_wins()
    {
        var options = new QuestionAnsweringOptions { MaxSeqLength = 48, DocStride = 12, AlignToWords = false };
        QuestionAnsweringResult result = _pipeline.Answer(Question, LongContext, options);
        Assert.True(result.WindowCount > 1, $"{result.WindowCount} window(s)");
        ExtractedAnswer best = Assert.Single(result.Answers);
        Assert.Equal(LongContext[best.Start..best.End], best.Answer);

        // Independently: score every window on its own; as HuggingFace does, a text found in several windows (the overlap)
        // adds up its scores and keeps its first place.
        AlbertEncoding main = _pipeline.Tokenizer.Encode(Question, LongContext, new AlbertEncodeOptions
        {
            Truncation = TruncationStrategy.OnlySecond, MaxLength = 48, Stride = 12, ReturnOverflowingTokens = true,
        });
        AlbertEncoding[] windows = [main, .. main.Overflowing];
        Assert.Equal(windows.Length, result.WindowCount);
        var found = new List<(string Text, float Score, int Start, int End)>();
        foreach (AlbertEncoding window in windows)
        {
            (float[] start, float[] end) = Logits(window);
            bool[] allowed = [.. Enumerable.Range(0, window.Length).Select(i => window.SequenceIds[i] == 1 || i == 0)];
            TokenSpan span = AnswerSpanScorer.Score(start, end, allowed, 1, 15, out _)[0];
            (int s, int e) = (window.Offsets[span.Start].Start, window.Offsets[span.End].End);
            int same = found.FindIndex(f => string.Equals(f.Text, LongContext[s..e], StringComparison.OrdinalIgnoreCase));
            if (same >= 0)
            {
                found[same] = found[same] with { Score = found[same].Score + span.Score };
            }
            else
            {
                found.Add((LongContext[s..e], span.Score, s, e));
            }
        }

        var expected = found.OrderByDescending(f => f.Score).First();
        Assert.Equal((expected.Start, expected.End), (best.Start, best.End));
        Assert.Equal(expected.Score, best.Score, 5);
    }

    [Fact]
    public void The_impossible_answer_is_an_empty_span_at_zero_when_asked()
    {
        var options = new QuestionAnsweringOptions { HandleImpossibleAnswer = true, TopK = 100 };
        QuestionAnsweringResult result = _pipeline.Answer(Question, ShortContext, options);
        ExtractedAnswer none = Assert.Single(result.Answers, a => a.Answer.Length == 0);
        Assert.Equal((0, 0), (none.Start, none.End));
        Assert.InRange(none.Score, 0f, 1f);
        Assert.DoesNotContain(_pipeline.Answer(Question, ShortContext, options with { HandleImpossibleAnswer = false }).Answers, a => a.Answer.Length == 0);
    }

    [Fact]
    public void A_long_question_is_cut_to_the_question_length()
    {
        string question = string.Join(" ", Enumerable.Repeat("why", 80));
        QuestionAnsweringResult result = _pipeline.Answer(question, ShortContext, new QuestionAnsweringOptions { MaxQuestionLength = 8 });
        Assert.Single(result.Answers);
    }

    [Fact]
    public void Empty_inputs_and_bad_settings_are_refused()
    {
        Assert.Throws<ArgumentException>(() => _pipeline.Answer(" ", ShortContext));
        Assert.Throws<ArgumentException>(() => _pipeline.Answer(Question, ""));
        Assert.Throws<ArgumentOutOfRangeException>(() => _pipeline.Answer(Question, ShortContext, new QuestionAnsweringOptions { MaxSeqLength = 500 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _pipeline.Answer(Question, ShortContext, new QuestionAnsweringOptions { TopK = 0 }));
    }

    [Fact]
    public void Cancellation_stops_between_windows()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => _pipeline.Answer(Question, LongContext, null, cancelled.Token));
    }

    private (float[] Start, float[] End) Logits(AlbertEncoding window)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var inputs = window.ToTensors();
        using QuestionAnsweringOutput output = _pipeline.Model.forward(new AlbertInputs { InputIds = inputs.InputIds, TokenTypeIds = inputs.TokenTypeIds });
        return (output.StartLogits[0].data<float>().ToArray(), output.EndLogits[0].data<float>().ToArray());
    }

    private static float[] Softmax(float[] x)
    {
        double max = x.Max();
        double[] e = [.. x.Select(v => Math.Exp(v - max))];
        return [.. e.Select(v => (float)(v / e.Sum()))];
    }
}
