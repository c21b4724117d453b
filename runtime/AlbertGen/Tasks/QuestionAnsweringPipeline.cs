using AlbertGen.Modeling;
using AlbertGen.Tokenization;

namespace AlbertGen.Tasks;

/// <summary>Settings of extractive question answering, named and defaulted as HuggingFace's pipeline arguments.</summary>
public sealed record QuestionAnsweringOptions
{
    /// <summary>The defaults.</summary>
    public static QuestionAnsweringOptions Default { get; } = new();

    /// <summary>How many answers, best first (<c>top_k</c>). Fewer come back when the context has fewer candidates. Default 1.</summary>
    public int TopK { get; init; } = 1;

    /// <summary>
    /// Tokens shared by consecutive windows of a long context (<c>doc_stride</c>). Null = min(<see cref="MaxSeqLength"/> / 2, 128).
    /// Capped below the room a window has for context tokens.
    /// </summary>
    public int? DocStride { get; init; }

    /// <summary>Longest answer in tokens (<c>max_answer_len</c>). Default 15.</summary>
    public int MaxAnswerLength { get; init; } = 15;

    /// <summary>
    /// Tokens per window, question and special tokens included (<c>max_seq_len</c>). Null = min(384, the pipeline's
    /// <see cref="AlbertPipeline{TModel, TOutput}.MaxLength"/>); larger than that is refused.
    /// </summary>
    public int? MaxSeqLength { get; init; }

    /// <summary>The question is cut to this many tokens (<c>max_question_len</c>). Default 64.</summary>
    public int MaxQuestionLength { get; init; } = 64;

    /// <summary>
    /// Also consider "no answer" (<c>handle_impossible_answer</c>): an empty answer at (0, 0) scored by the lowest
    /// P(start = [CLS]) · P(end = [CLS]) over the windows. Default false.
    /// </summary>
    public bool HandleImpossibleAnswer { get; init; }

    /// <summary>
    /// Widen answers to whole whitespace-separated words (<c>align_to_words</c>, as ALBERT's word pre-tokenizer splits them).
    /// Default true.
    /// </summary>
    public bool AlignToWords { get; init; } = true;
}

/// <summary>An answer (HuggingFace's <c>answer</c>, <c>score</c>, <c>start</c>, <c>end</c>).</summary>
/// <param name="Answer">The answer text: <c>context[Start..End]</c>; empty for the null answer.</param>
/// <param name="Score">P(start) · P(end) within its window; the sum over windows when several windows give the same text (as HuggingFace does).</param>
/// <param name="Start">First char in the context.</param>
/// <param name="End">Char after the answer.</param>
public sealed record ExtractedAnswer(string Answer, float Score, int Start, int End);

/// <summary>The answers to one question.</summary>
/// <param name="Answers">Best first, at most <see cref="QuestionAnsweringOptions.TopK"/>.</param>
/// <param name="WindowCount">How many windows the context was split into.</param>
public sealed record QuestionAnsweringResult(IReadOnlyList<ExtractedAnswer> Answers, int WindowCount);

/// <summary>
/// Extractive question answering (HuggingFace <c>QuestionAnsweringPipeline</c>): the question and context are encoded as a
/// pair, a long context is split into overlapping windows, and the best span over all windows is returned with its
/// character range in the context.
/// </summary>
/// <remarks>Thread-safe; see <see cref="AlbertPipeline{TModel, TOutput}"/>.</remarks>
public sealed class QuestionAnsweringPipeline : AlbertPipeline<AlbertForQuestionAnswering, QuestionAnsweringOutput>
{
    /// <summary>HuggingFace's default window length.</summary>
    public const int DefaultMaxSeqLength = 384;

    /// <summary>HuggingFace's largest default doc stride.</summary>
    public const int DefaultDocStride = 128;

    /// <summary>Builds a pipeline on a loaded model.</summary>
    /// <param name="model">The model (or a generated class deriving from it).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <param name="ownsModel">Whether disposing the pipeline disposes the model.</param>
    public QuestionAnsweringPipeline(AlbertForQuestionAnswering model, AlbertTokenizer tokenizer, PipelineOptions? options = null, bool ownsModel = false)
        : base(model, tokenizer, options, ownsModel)
    {
    }

    /// <summary>Loads <c>config.json</c>, the weights and the tokenizer (<c>tokenizer.json</c> or <c>spiece.model</c>) from a directory.</summary>
    /// <param name="directory">A HuggingFace model directory with a question-answering checkpoint.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <returns>A pipeline that owns its model.</returns>
    public static QuestionAnsweringPipeline FromPretrained(string directory, PipelineOptions? options = null)
    {
        var (model, tokenizer) = PipelineResources.Load(directory, options, d => AlbertForQuestionAnswering.FromPretrained(d, options?.LoadOptions));
        return new QuestionAnsweringPipeline(model, tokenizer, options, ownsModel: true);
    }

    /// <summary>Answers a question from a context of any length.</summary>
    /// <param name="question">The question (non-empty).</param>
    /// <param name="context">The text holding the answer (non-empty).</param>
    /// <param name="options">Settings; null = <see cref="QuestionAnsweringOptions.Default"/>.</param>
    /// <param name="cancellationToken">Cancels between batches of windows.</param>
    /// <returns>The answers and the number of windows.</returns>
    /// <exception cref="ArgumentException">The question or context is empty, or a setting is out of range.</exception>
    public QuestionAnsweringResult Answer(string question, string context, QuestionAnsweringOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(context);
        ThrowIfDisposed();
        options ??= QuestionAnsweringOptions.Default;
        if (question.Trim().Length == 0 || context.Trim().Length == 0)
        {
            throw new ArgumentException($"The {(question.Trim().Length == 0 ? "question" : "context")} is empty.");
        }

        (int maxSeq, int stride) = Validate(options);
        string shortQuestion = CutQuestion(question, options.MaxQuestionLength);
        int questionTokens = Tokenizer.EncodeToIds(shortQuestion, addSpecialTokens: false).Length;
        int room = maxSeq - questionTokens - 3;
        if (room < 1)
        {
            throw new ArgumentException($"The question takes {questionTokens} tokens, leaving no room for context in windows of {maxSeq}; raise MaxSeqLength or lower MaxQuestionLength.");
        }

        AlbertEncoding main = Tokenizer.Encode(shortQuestion, context, new AlbertEncodeOptions
        {
            Truncation = TruncationStrategy.OnlySecond,
            MaxLength = maxSeq,
            Stride = Math.Min(stride, room - 1),
            ReturnOverflowingTokens = true,
            Padding = PaddingStrategy.Longest,
        });
        AlbertEncoding[] windows = [main, .. main.Overflowing];

        int preTopK = options.AlignToWords ? (options.TopK * 2) + 10 : options.TopK; // aligned spans may merge
        float minNull = 1_000_000f;
        var answers = new List<ExtractedAnswer>();
        for (int first = 0; first < windows.Length; first += Options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            AlbertEncoding[] batch = windows[first..Math.Min(windows.Length, first + Options.BatchSize)];
            (float[] starts, float[] ends) = Run(batch, (output, _) => (ToArray(output.StartLogits), ToArray(output.EndLogits)));
            int length = batch[0].Length;
            for (int w = 0; w < batch.Length; w++)
            {
                AlbertEncoding window = batch[w];
                bool[] allowed = [.. Enumerable.Range(0, length).Select(i =>
                    window.AttentionMask[i] != 0 && (window.SequenceIds[i] == 1 || window.InputIds[i] == Tokenizer.ClsTokenId))];
                List<TokenSpan> spans = AnswerSpanScorer.Score(
                    starts.AsSpan(w * length, length), ends.AsSpan(w * length, length), allowed, preTopK, options.MaxAnswerLength, out float nullScore);
                minNull = Math.Min(minNull, nullScore);
                foreach (TokenSpan span in spans)
                {
                    (int startChar, int endChar) = CharRange(context, window, span, options.AlignToWords);
                    string text = context[startChar..endChar];
                    int same = answers.FindIndex(a => string.Equals(a.Answer, text, StringComparison.OrdinalIgnoreCase));
                    if (same >= 0)
                    {
                        answers[same] = answers[same] with { Score = answers[same].Score + span.Score };
                    }
                    else
                    {
                        answers.Add(new ExtractedAnswer(text, span.Score, startChar, endChar));
                    }
                }
            }
        }

        if (options.HandleImpossibleAnswer)
        {
            answers.Add(new ExtractedAnswer("", minNull, 0, 0));
        }

        return new QuestionAnsweringResult([.. answers.OrderByDescending(a => a.Score).Take(options.TopK)], windows.Length);
    }

    /// <summary>Answers several questions, each against its own context, in order.</summary>
    /// <param name="inputs">Question and context pairs.</param>
    /// <param name="options">Settings; null = defaults.</param>
    /// <param name="cancellationToken">Cancels between batches of windows.</param>
    /// <returns>One result per input.</returns>
    public IReadOnlyList<QuestionAnsweringResult> AnswerBatch(IReadOnlyList<(string Question, string Context)> inputs, QuestionAnsweringOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return [.. inputs.Select(input => Answer(input.Question, input.Context, options, cancellationToken))];
    }

    private (int MaxSeq, int Stride) Validate(QuestionAnsweringOptions options)
    {
        if (options.TopK < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.TopK, "TopK must be at least 1.");
        }

        if (options.MaxAnswerLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxAnswerLength, "MaxAnswerLength must be at least 1.");
        }

        if (options.MaxQuestionLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxQuestionLength, "MaxQuestionLength must be at least 1.");
        }

        int maxSeq = options.MaxSeqLength ?? Math.Min(DefaultMaxSeqLength, MaxLength);
        if (maxSeq < 4 || maxSeq > MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(options), maxSeq, $"MaxSeqLength must be between 4 and the model's maximum, {MaxLength}.");
        }

        int stride = options.DocStride ?? Math.Min(maxSeq / 2, DefaultDocStride);
        if (stride < 0 || stride > maxSeq)
        {
            throw new ArgumentOutOfRangeException(nameof(options), stride, $"DocStride must be between 0 and MaxSeqLength ({maxSeq}).");
        }

        return (maxSeq, stride);
    }

    /// <summary>The question cut after its first <paramref name="maxTokens"/> tokens.</summary>
    private string CutQuestion(string question, int maxTokens)
    {
        AlbertEncoding encoded = Tokenizer.Encode(question, new AlbertEncodeOptions { AddSpecialTokens = false });
        return encoded.Length <= maxTokens ? question : question[..encoded.Offsets[maxTokens - 1].End];
    }

    /// <summary>The span's chars in the context, widened to whole whitespace-separated words when asked.</summary>
    private static (int Start, int End) CharRange(string context, AlbertEncoding window, TokenSpan span, bool alignToWords)
    {
        int start = window.Offsets[span.Start].Start;
        int end = window.Offsets[span.End].End;
        if (alignToWords)
        {
            while (start > 0 && !char.IsWhiteSpace(context[start - 1]))
            {
                start--;
            }

            while (end < context.Length && !char.IsWhiteSpace(context[end]))
            {
                end++;
            }
        }

        return (start, Math.Max(start, end));
    }
}
