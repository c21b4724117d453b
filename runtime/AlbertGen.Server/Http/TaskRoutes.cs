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
        if (targets is not null)
        {
            pipeline.ResolveTargets(targets); // refuses, before queueing, a target list with no usable word
        }

        scope.CheckBatch(texts.Count, "inputs");
        var kind = new FillMaskWork(pipeline, topK, targets);
        for (int i = 0; i < texts.Count; i++)
        {
            string what = isList ? $"inputs[{i}]" : "inputs";
            var (encoding, length) = scope.Encode(texts[i], null, scope.Options.AutoTruncate, what);
            if (!encoding.InputIds.Take(length - 1).Contains(scope.Model.Tokenizer.MaskTokenId))
            {
                throw ApiException.Invalid($"{what} has no {AlbertTokenizer.MaskToken} token{(encoding.Length > length ? $" in its first {length} tokens (it is truncated)" : "")}; fill-mask needs at least one.");
            }

            scope.Add(kind, texts[i], 1, length);
        }

        object[] results = await scope.RunAsync().ConfigureAwait(false);
        var shaped = results.Select(r =>
        {
            var masks = ((FillMaskResult)r).Masks
                .Select(m => m.Select(c => new { score = c.Score, token = c.Token, token_str = c.TokenStr, sequence = c.Sequence }).ToList())
                .ToList();
            return masks.Count == 1 ? (object)masks[0] : masks;
        }).ToList();
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
        var kind = new TokenClassificationWork(scope.Model.TokenClassifier!, strategy);
        for (int i = 0; i < texts.Count; i++)
        {
            var (_, length) = scope.Encode(texts[i], null, scope.Options.AutoTruncate, isList ? $"inputs[{i}]" : "inputs");
            scope.Add(kind, texts[i], 1, length);
        }

        var shaped = (await scope.RunAsync().ConfigureAwait(false)).Select(r => ((IReadOnlyList<TokenEntity>)r).Select(e => e.Index is int index
            ? (object)new { entity = e.Entity, score = e.Score, index, word = e.Word, start = e.Start, end = e.End }
            : new { entity_group = e.Entity, score = e.Score, word = e.Word, start = e.Start, end = e.End }).ToList()).ToList();
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
        var kind = new QuestionAnsweringWork(scope.Model.QuestionAnswering!, options);
        int window = Math.Min(options.MaxSeqLength ?? 384, scope.Model.MaxLength);
        for (int i = 0; i < items.Length; i++)
        {
            string what = isList ? $"inputs[{i}]" : "inputs";
            if (items[i].ValueKind != JsonValueKind.Object)
            {
                throw ApiException.Invalid($"{what} must be an object {{\"question\", \"context\"}}, not {JsonFields.Describe(items[i])}.");
            }

            string question = JsonFields.RequiredString(items[i], "question");
            string context = JsonFields.RequiredString(items[i], "context");
            // Long contexts are never refused: the pipeline splits them into windows. The planner counts the windows roughly.
            var (encoding, _) = scope.Encode(question, context, truncate: true, what, limit: int.MaxValue);
            int windows = 1 + (Math.Max(0, encoding.Length - window) / Math.Max(1, window / 2));
            scope.Add(kind, (question, context), windows, Math.Min(encoding.Length, window));
        }

        var shaped = (await scope.RunAsync().ConfigureAwait(false)).Select(r =>
        {
            var answers = ((QuestionAnsweringResult)r).Answers.Select(a => new { score = a.Score, start = a.Start, end = a.End, answer = a.Answer }).ToList();
            return options.TopK != 1 || answers.Count != 1 ? (object)answers : answers[0];
        }).ToList();
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
        var kind = new MultipleChoiceWork(scope.Model.MultipleChoice!);
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

            int longest = 0;
            for (int c = 0; c < choices.Count; c++)
            {
                // An empty prompt is allowed (the choices alone are scored); Encode refuses empty texts, so it sees the choice first.
                var (_, length) = prompt.Length == 0
                    ? scope.Encode(choices[c], null, scope.Options.AutoTruncate, $"{what}.choices[{c}]")
                    : scope.Encode(prompt, choices[c], scope.Options.AutoTruncate, $"{what}.choices[{c}]");
                longest = Math.Max(longest, length);
            }

            scope.Add(kind, (prompt, choices), choices.Count, longest);
        }

        var shaped = (await scope.RunAsync().ConfigureAwait(false))
            .Select(r => ((IReadOnlyList<ChoiceScore>)r).Select(s => new { index = s.Index, choice = s.Choice, score = s.Score }).ToList())
            .ToList();
        return isList ? shaped : shaped[0];
    }

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
