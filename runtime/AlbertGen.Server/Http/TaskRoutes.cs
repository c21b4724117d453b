using System.Text.Json;
using AlbertGen.Server.Engine;
using AlbertGen.Tasks;
using AlbertGen.Tokenization;

namespace AlbertGen.Server.Http;

/// <summary>
/// The HuggingFace task routes TEI lacks, with HuggingFace Inference API payloads (<c>{"inputs", "parameters"}</c>) and the
/// pipelines' output fields, as <c>albertgen … --json</c> prints them. A list of inputs gives a list of results.
/// </summary>
internal static class TaskRoutes
{
    /// <summary>
    /// <c>{"inputs": str | [str], "parameters"?: {"top_k"? = 5, "targets"?: str | [str]}}</c> → per text, for one mask
    /// <c>[{"score", "token", "token_str", "sequence"}]</c>, for several masks a list of such lists.
    /// </summary>
    public static async Task<object> FillMaskAsync(RequestScope scope, JsonElement body)
    {
        var (texts, isList, parameters) = Inputs(body);
        FillMaskPipeline pipeline = scope.Model.FillMask!;
        int topK = JsonFields.Int(parameters, "top_k", 1) ?? FillMaskPipeline.DefaultTopK;
        IReadOnlyList<string>? targets = JsonFields.Optional(parameters, "targets") is JsonElement t ? JsonFields.StringOrStrings(t, "parameters.targets").Items : null;
        IReadOnlyList<FillMaskTarget>? resolved = targets is null ? null : pipeline.ResolveTargets(targets); // refuses, before queueing, a target list with no usable word
        scope.CheckBatch(texts.Count, "inputs");
        var items = new List<WorkItem<FillMaskInput, float[][]>>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            string text = texts[i];
            string what = isList ? $"inputs[{i}]" : "inputs";
            RequestScope.NotEmpty(text, what);
            FillMaskInput prepared = scope.Preprocess(what, text.Length, () => pipeline.Preprocess(text, scope.Options.AutoTruncate), e => NoMask(what, e));
            items.Add(scope.Add(scope.Model.FillMaskStage!, prepared));
        }

        await scope.RunAsync(items).ConfigureAwait(false);
        var shaped = scope.Postprocess(() => items.Select(item =>
        {
            var masks = pipeline.Postprocess(item.Input, item.Completion.Result, topK, resolved).Masks
                .Select(m => m.Select(c => new { score = c.Score, token = c.Token, token_str = c.TokenStr, sequence = c.Sequence }).ToList())
                .ToList();
            return masks.Count == 1 ? (object)masks[0] : masks;
        }).ToList());
        return isList ? shaped : shaped[0];
    }

    /// <summary>
    /// <c>{"inputs": str | [str], "parameters"?: {"aggregation_strategy"? = "simple"}}</c> → per text, entities: tokens
    /// (<c>"entity", "score", "index", "word", "start", "end"</c>) with <c>none</c>, groups (<c>"entity_group"</c> instead of
    /// <c>"entity"</c>, no index) otherwise. The default is the Inference API's, <c>simple</c>.
    /// </summary>
    public static async Task<object> TokenClassificationAsync(RequestScope scope, JsonElement body)
    {
        var (texts, isList, parameters) = Inputs(body);
        string name = JsonFields.Optional(parameters, "aggregation_strategy") is JsonElement s ? JsonFields.String(s, "parameters.aggregation_strategy") : "simple";
        AggregationStrategy strategy = name switch
        {
            "none" => AggregationStrategy.None,
            "simple" => AggregationStrategy.Simple,
            "first" => AggregationStrategy.First,
            "average" => AggregationStrategy.Average,
            "max" => AggregationStrategy.Max,
            _ => throw ApiException.Invalid($"\"parameters.aggregation_strategy\" must be none, simple, first, average or max, not \"{name}\"."),
        };
        scope.CheckBatch(texts.Count, "inputs");
        TokenClassificationPipeline pipeline = scope.Model.TokenClassifier!;
        var items = new List<WorkItem<EncodedText, float[][]>>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            string text = texts[i];
            string what = isList ? $"inputs[{i}]" : "inputs";
            RequestScope.NotEmpty(text, what);
            EncodedText prepared = scope.Preprocess(what, text.Length, () => pipeline.Preprocess(text, scope.Options.AutoTruncate));
            items.Add(scope.Add(scope.Model.TokenClassificationStage!, prepared));
        }

        await scope.RunAsync(items).ConfigureAwait(false);
        var shaped = scope.Postprocess(() => items.Select(item => pipeline.Postprocess(item.Input, item.Completion.Result, strategy).Select(e => e.Index is int index
            ? (object)new { entity = e.Entity, score = e.Score, index, word = e.Word, start = e.Start, end = e.End }
            : new { entity_group = e.Entity, score = e.Score, word = e.Word, start = e.Start, end = e.End }).ToList()).ToList());
        return isList ? shaped : shaped[0];
    }

    /// <summary>
    /// <c>{"inputs": {"question", "context"} | [{…}], "parameters"?: {"top_k", "doc_stride", "max_answer_len", "max_seq_len",
    /// "max_question_len", "handle_impossible_answer", "align_to_words"}}</c> → per question <c>{"score", "start", "end",
    /// "answer"}</c>, or a list of them when <c>top_k</c> &gt; 1. Long contexts are split into overlapping windows.
    /// </summary>
    public static async Task<object> QuestionAnsweringAsync(RequestScope scope, JsonElement body)
    {
        JsonElement request = JsonFields.Object(body);
        JsonElement inputs = JsonFields.Required(request, "inputs");
        JsonElement parameters = Parameters(request);
        bool isList = inputs.ValueKind == JsonValueKind.Array;
        JsonElement[] items = isList ? [.. inputs.EnumerateArray()] : [inputs];
        var defaults = QuestionAnsweringOptions.Default;
        var options = new QuestionAnsweringOptions
        {
            TopK = JsonFields.Int(parameters, "top_k", 1) ?? defaults.TopK,
            DocStride = JsonFields.Int(parameters, "doc_stride", 1),
            MaxAnswerLength = JsonFields.Int(parameters, "max_answer_len", 1) ?? defaults.MaxAnswerLength,
            MaxSeqLength = JsonFields.Int(parameters, "max_seq_len", 3),
            MaxQuestionLength = JsonFields.Int(parameters, "max_question_len", 1) ?? defaults.MaxQuestionLength,
            HandleImpossibleAnswer = JsonFields.Bool(parameters, "handle_impossible_answer") ?? defaults.HandleImpossibleAnswer,
            AlignToWords = JsonFields.Bool(parameters, "align_to_words") ?? defaults.AlignToWords,
        };
        scope.CheckBatch(items.Length, "inputs");
        QuestionAnsweringPipeline pipeline = scope.Model.QuestionAnswering!;
        var questions = new List<(QuestionAnsweringInput Input, List<WorkItem<QuestionAnsweringInput, IReadOnlyList<SpanLogits>>> Parts)>(items.Length);
        for (int i = 0; i < items.Length; i++)
        {
            string what = isList ? $"inputs[{i}]" : "inputs";
            if (items[i].ValueKind != JsonValueKind.Object)
            {
                throw ApiException.Invalid($"{what} must be an object {{\"question\", \"context\"}}, not {JsonFields.Describe(items[i])}.");
            }

            string question = JsonFields.RequiredString(items[i], "question");
            string context = JsonFields.RequiredString(items[i], "context");
            RequestScope.NotEmpty(question, what);
            RequestScope.NotEmpty(context, what);
            // Long contexts are never refused: the preprocess stage splits them into windows, and the windows are queued
            // in runs that fit the token budget, so no pass exceeds it.
            QuestionAnsweringInput prepared = scope.Preprocess(what, question.Length + context.Length, () => pipeline.Preprocess(question, context, options));
            questions.Add((prepared, [.. WindowRuns(prepared, scope.Options).Select(run => scope.Add(scope.Model.QuestionAnsweringStage!, run))]));
        }

        await scope.RunAsync([.. questions.SelectMany(q => q.Parts)]).ConfigureAwait(false);
        var shaped = scope.Postprocess(() => questions.Select(q =>
        {
            QuestionAnsweringResult result = pipeline.Postprocess(q.Input, [.. q.Parts.SelectMany(p => p.Completion.Result)]);
            var answers = result.Answers.Select(a => new { score = a.Score, start = a.Start, end = a.End, answer = a.Answer }).ToList();
            return options.TopK != 1 || answers.Count != 1 ? (object)answers : answers[0];
        }).ToList());
        return isList ? shaped : shaped[0];
    }

    /// <summary>
    /// <c>{"inputs": {"prompt"?, "choices": [str]} | [{…}]}</c> → per prompt <c>[{"index", "choice", "score"}]</c> in the
    /// choices' order, scores summing to one.
    /// </summary>
    public static async Task<object> MultipleChoiceAsync(RequestScope scope, JsonElement body)
    {
        JsonElement request = JsonFields.Object(body);
        JsonElement inputs = JsonFields.Required(request, "inputs");
        bool isList = inputs.ValueKind == JsonValueKind.Array;
        JsonElement[] items = isList ? [.. inputs.EnumerateArray()] : [inputs];
        scope.CheckBatch(items.Length, "inputs");
        MultipleChoicePipeline pipeline = scope.Model.MultipleChoice!;
        var work = new List<WorkItem<MultipleChoiceInput, float[]>>(items.Length);
        for (int i = 0; i < items.Length; i++)
        {
            string what = isList ? $"inputs[{i}]" : "inputs";
            if (items[i].ValueKind != JsonValueKind.Object)
            {
                throw ApiException.Invalid($"{what} must be an object {{\"prompt\", \"choices\"}}, not {JsonFields.Describe(items[i])}.");
            }

            string prompt = JsonFields.Optional(items[i], "prompt") is JsonElement p ? JsonFields.String(p, $"{what}.prompt") : "";
            IReadOnlyList<string> choices = JsonFields.Strings(JsonFields.Required(items[i], "choices"), $"{what}.choices");
            if (choices.Count == 0)
            {
                throw ApiException.Empty($"{what}.choices cannot be empty.");
            }

            for (int c = 0; c < choices.Count; c++)
            {
                RequestScope.NotEmpty(choices[c], $"{what}.choices[{c}]"); // an empty prompt is allowed: the choices alone are scored
            }

            MultipleChoiceInput prepared = scope.Preprocess(what, prompt.Length + choices.Sum(c => c.Length), () => pipeline.Preprocess(prompt, choices, scope.Options.AutoTruncate));
            work.Add(scope.Add(scope.Model.MultipleChoiceStage!, prepared));
        }

        await scope.RunAsync(work).ConfigureAwait(false);
        var shaped = scope.Postprocess(() => work
            .Select(item => pipeline.Postprocess(item.Input, item.Completion.Result).Select(s => new { index = s.Index, choice = s.Choice, score = s.Score }).ToList())
            .ToList());
        return isList ? shaped : shaped[0];
    }

    /// <summary>
    /// A question's windows in runs that fit one pass: at most <c>--max-batch-tokens</c> padded tokens (and
    /// <c>--max-batch-requests</c> rows); a single window longer than the budget is a run of its own.
    /// </summary>
    internal static IEnumerable<QuestionAnsweringInput> WindowRuns(QuestionAnsweringInput input, AlbertServerOptions options)
    {
        int perRun = Math.Max(1, Math.Min(options.MaxBatchTokens / input.Length, options.MaxBatchRequests ?? int.MaxValue));
        if (perRun >= input.RowCount)
        {
            yield return input;
            yield break;
        }

        for (int first = 0; first < input.RowCount; first += perRun)
        {
            yield return input.Windows(first, Math.Min(perRun, input.RowCount - first));
        }
    }

    /// <summary>The 422 of a text the fill-mask preprocess stage refused: it has no mask (left after truncation).</summary>
    private static ApiException NoMask(string what, ArgumentException e) =>
        ApiException.Invalid(e.Message.Contains(AlbertTokenizer.MaskToken, StringComparison.Ordinal)
            ? $"{what} has no {AlbertTokenizer.MaskToken} token{(e.Message.Contains("truncated", StringComparison.Ordinal) ? " in the part the model takes (it is truncated)" : "")}; fill-mask needs at least one."
            : $"{what}: {e.Message}");

    private static (IReadOnlyList<string> Texts, bool IsList, JsonElement Parameters) Inputs(JsonElement body)
    {
        JsonElement request = JsonFields.Object(body);
        var (texts, isList) = JsonFields.StringOrStrings(JsonFields.Required(request, "inputs"), "inputs");
        return (texts, isList, Parameters(request));
    }

    private static JsonElement Parameters(JsonElement request)
    {
        if (JsonFields.Optional(request, "parameters") is not JsonElement parameters)
        {
            return default;
        }

        return parameters.ValueKind == JsonValueKind.Object
            ? parameters
            : throw ApiException.Invalid($"\"parameters\" must be an object, not {JsonFields.Describe(parameters)}.");
    }
}
