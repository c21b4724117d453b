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

/// <summary>A question after question answering's preprocess stage: its context's windows and the options they were made with.</summary>
public sealed class QuestionAnsweringInput : PreparedInput
{
    internal QuestionAnsweringInput(string question, string context, QuestionAnsweringOptions options, IReadOnlyList<AlbertEncoding> windows)
        : base(windows)
    {
        Question = question;
        Context = context;
        Options = options;
    }

    /// <summary>The question.</summary>
    public string Question { get; }

    /// <summary>The context the answers come from.</summary>
    public string Context { get; }

    /// <summary>The options the windows were made with; the postprocess stage applies the rest of them.</summary>
    public QuestionAnsweringOptions Options { get; }

    /// <summary>
    /// The same question over a run of its windows, to put a long context through several forward passes; the
    /// postprocess stage takes this input with the outputs of all runs, in order.
    /// </summary>
    /// <param name="first">Index of the first window.</param>
    /// <param name="count">How many windows.</param>
    /// <returns>An input of those windows.</returns>
    public QuestionAnsweringInput Windows(int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + count, RowCount, nameof(count));
        return new QuestionAnsweringInput(Question, Context, Options, [.. Rows.Skip(first).Take(count)]);
    }
}

/// <summary>The span logits of one window.</summary>
/// <param name="Start">Start logits, one per token of the window (padding of its pass included).</param>
/// <param name="End">End logits, one per token.</param>
public sealed record SpanLogits(float[] Start, float[] End);

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
        QuestionAnsweringInput input = Preprocess(question, context, options);
        return Postprocess(input, ForwardWindows(input, cancellationToken));
    }

    /// <summary>Answers several questions, each against its own context, in order; windows of several questions share passes.</summary>
    /// <param name="inputs">Question and context pairs.</param>
    /// <param name="options">Settings; null = defaults.</param>
    /// <param name="cancellationToken">Cancels between batches of windows.</param>
    /// <returns>One result per input.</returns>
    public IReadOnlyList<QuestionAnsweringResult> AnswerBatch(IReadOnlyList<(string Question, string Context)> inputs, QuestionAnsweringOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        QuestionAnsweringInput[] prepared = [.. inputs.Select(input => Preprocess(input.Question, input.Context, options))];
        var results = new QuestionAnsweringResult[inputs.Count];
        var small = new List<int>();
        for (int i = 0; i < prepared.Length; i++)
        {
            if (prepared[i].RowCount > Options.BatchSize)
            {
                results[i] = Postprocess(prepared[i], ForwardWindows(prepared[i], cancellationToken)); // more windows than a pass takes: in chunks
            }
            else
            {
                small.Add(i);
            }
        }

        QuestionAnsweringResult[] answered = Compose([.. small.Select(i => prepared[i])], Forward, Postprocess, cancellationToken);
        for (int j = 0; j < small.Count; j++)
        {
            results[small[j]] = answered[j];
        }

        return results;
    }

    /// <summary>
    /// Preprocess stage: cuts the question to <see cref="QuestionAnsweringOptions.MaxQuestionLength"/> and encodes it with
    /// the context as overlapping windows of <see cref="QuestionAnsweringOptions.MaxSeqLength"/> tokens.
    /// </summary>
    /// <param name="question">The question (non-empty).</param>
    /// <param name="context">The text holding the answer (non-empty).</param>
    /// <param name="options">Settings; null = <see cref="QuestionAnsweringOptions.Default"/>. The postprocess stage uses the same.</param>
    /// <returns>The windows.</returns>
    /// <exception cref="ArgumentException">The question or context is empty, or a setting is out of range.</exception>
    public QuestionAnsweringInput Preprocess(string question, string context, QuestionAnsweringOptions? options = null)
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
        AlbertEncoding questionOnly = Encode(question, null, new AlbertEncodeOptions { AddSpecialTokens = false });
        int questionTokens = Math.Min(questionOnly.Length, options.MaxQuestionLength);
        string shortQuestion = questionOnly.Length <= options.MaxQuestionLength ? question : question[..questionOnly.Offsets[options.MaxQuestionLength - 1].End];
        int room = maxSeq - questionTokens - 3;
        if (room < 1)
        {
            throw new ArgumentException($"The question takes {questionTokens} tokens, leaving no room for context in windows of {maxSeq}; raise MaxSeqLength or lower MaxQuestionLength.");
        }

        AlbertEncoding main = Encode(shortQuestion, context, new AlbertEncodeOptions
        {
            Truncation = TruncationStrategy.OnlySecond,
            MaxLength = maxSeq,
            Stride = Math.Min(stride, room - 1),
            ReturnOverflowingTokens = true,
            Padding = PaddingStrategy.Longest,
        });
        return new QuestionAnsweringInput(question, context, options, [main, .. main.Overflowing]);
    }

    /// <summary>Forward stage: one pass over every input's windows; for each input, the start and end logits of each window.</summary>
    /// <param name="inputs">Preprocessed questions.</param>
    /// <returns>Per input, one <see cref="SpanLogits"/> per window.</returns>
    public IReadOnlyList<IReadOnlyList<SpanLogits>> Forward(IReadOnlyList<QuestionAnsweringInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        List<AlbertEncoding> rows = RowsOf(inputs);
        (float[] starts, float[] ends, int length) = Run(rows, (output, _) => (ToArray(output.StartLogits), ToArray(output.EndLogits), (int)output.StartLogits.shape[1]));
        var results = new IReadOnlyList<SpanLogits>[inputs.Count];
        int row = 0;
        for (int i = 0; i < inputs.Count; i++)
        {
            var windows = new SpanLogits[inputs[i].RowCount];
            for (int w = 0; w < windows.Length; w++, row++)
            {
                windows[w] = new SpanLogits(starts.AsSpan(row * length, length).ToArray(), ends.AsSpan(row * length, length).ToArray());
            }

            results[i] = windows;
        }

        return results;
    }

    /// <summary>Postprocess stage: the best spans over one input's windows, as character ranges of its context.</summary>
    /// <param name="input">The preprocessed question (its options apply).</param>
    /// <param name="windows">Its output from <see cref="Forward"/>.</param>
    /// <returns>The answers and the number of windows.</returns>
    public QuestionAnsweringResult Postprocess(QuestionAnsweringInput input, IReadOnlyList<SpanLogits> windows)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(windows);
        QuestionAnsweringOptions options = input.Options;
        int preTopK = options.AlignToWords ? (options.TopK * 2) + 10 : options.TopK; // aligned spans may merge
        float minNull = 1_000_000f;
        var answers = new List<ExtractedAnswer>();
        for (int w = 0; w < input.RowCount; w++)
        {
            AlbertEncoding window = input.Rows[w];
            int length = window.Length;
            bool[] allowed = [.. Enumerable.Range(0, length).Select(i =>
                window.AttentionMask[i] != 0 && (window.SequenceIds[i] == 1 || window.InputIds[i] == Tokenizer.ClsTokenId))];
            List<TokenSpan> spans = AnswerSpanScorer.Score(
                windows[w].Start.AsSpan(0, length), windows[w].End.AsSpan(0, length), allowed, preTopK, options.MaxAnswerLength, out float nullScore);
            minNull = Math.Min(minNull, nullScore);
            foreach (TokenSpan span in spans)
            {
                (int startChar, int endChar) = CharRange(input.Context, window, span, options.AlignToWords);
                string text = input.Context[startChar..endChar];
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

        if (options.HandleImpossibleAnswer)
        {
            answers.Add(new ExtractedAnswer("", minNull, 0, 0));
        }

        return new QuestionAnsweringResult([.. answers.OrderByDescending(a => a.Score).Take(options.TopK)], input.RowCount);
    }

    /// <summary>The windows of one input through the model, <see cref="PipelineOptions.BatchSize"/> windows a pass.</summary>
    private SpanLogits[] ForwardWindows(QuestionAnsweringInput input, CancellationToken cancellationToken)
    {
        var logits = new List<SpanLogits>(input.RowCount);
        for (int first = 0; first < input.RowCount; first += Options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            logits.AddRange(Forward([input.Windows(first, Math.Min(Options.BatchSize, input.RowCount - first))])[0]);
        }

        return [.. logits];
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
