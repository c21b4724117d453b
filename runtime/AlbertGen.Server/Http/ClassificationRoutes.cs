using System.Text.Json;
using AlbertGen.Server.Engine;
using AlbertGen.Tasks;

namespace AlbertGen.Server.Http;

/// <summary><c>POST /predict</c> and <c>POST /rerank</c> (TEI), on a sequence-classification head.</summary>
internal static class ClassificationRoutes
{
    /// <summary>
    /// <c>{"inputs": str | [str, str] | [[str] | [str, str], …], "truncate"?, "raw_scores"?}</c> → <c>[{"score", "label"}]</c>
    /// over all labels, best first (<c>[[…]]</c> for a batch). Scores as the library's text classification computes them
    /// (softmax, or sigmoid for one label or multi-label models, raw for regression); raw logits with <c>raw_scores</c>.
    /// </summary>
    public static async Task<object> PredictAsync(RequestScope scope, JsonElement body)
    {
        JsonElement request = JsonFields.Object(body);
        var (inputs, isBatch) = PredictInputs(JsonFields.Required(request, "inputs"));
        bool truncate = JsonFields.Bool(request, "truncate") ?? scope.Options.AutoTruncate;
        bool raw = JsonFields.Bool(request, "raw_scores") ?? false;
        scope.CheckBatch(inputs.Count, "inputs");
        TextClassificationPipeline<string> pipeline = scope.Model.Classifier!;
        ClassificationFunction function = raw ? ClassificationFunction.None : pipeline.DefaultFunction;
        var items = await ClassifyAsync(scope, inputs, i => isBatch ? $"inputs[{i}]" : "inputs", truncate).ConfigureAwait(false);
        var predictions = scope.Postprocess(() => items
            .Select(item => pipeline.Postprocess(item.Completion.Result, topK: null, function).Select(c => new { score = c.Score, label = c.LabelName }).ToList())
            .ToList());
        return isBatch ? predictions : predictions[0];
    }

    /// <summary>
    /// <c>{"query", "texts": [str], "truncate"?, "raw_scores"?, "return_text"?}</c> → <c>[{"index", "score", "text"?}]</c>, best
    /// first: each (query, text) pair through a one-label classifier (a cross-encoder); sigmoid of the logit, or the logit
    /// with <c>raw_scores</c>.
    /// </summary>
    public static async Task<object> RerankAsync(RequestScope scope, JsonElement body)
    {
        JsonElement request = JsonFields.Object(body);
        string query = JsonFields.RequiredString(request, "query");
        IReadOnlyList<string> texts = JsonFields.Strings(JsonFields.Required(request, "texts"), "texts");
        bool truncate = JsonFields.Bool(request, "truncate") ?? scope.Options.AutoTruncate;
        bool raw = JsonFields.Bool(request, "raw_scores") ?? false;
        bool returnText = JsonFields.Bool(request, "return_text") ?? false;
        scope.CheckBatch(texts.Count, "texts");
        TextClassificationPipeline<string> pipeline = scope.Model.Classifier!;
        ClassificationFunction function = raw ? ClassificationFunction.None : ClassificationFunction.Sigmoid;
        var items = await ClassifyAsync(scope, [.. texts.Select(t => (query, (string?)t))], i => $"(query, texts[{i}])", truncate).ConfigureAwait(false);
        return scope.Postprocess(() => items
            .Select((item, i) => (Index: i, Score: pipeline.Postprocess(item.Completion.Result, topK: 1, function)[0].Score))
            .OrderByDescending(r => r.Score)
            .Select(r => returnText ? (object)new { index = r.Index, text = texts[r.Index], score = r.Score } : new { index = r.Index, score = r.Score })
            .ToList());
    }

    /// <summary>Preprocesses each input (or pair) and runs them through the classifier's forward stage.</summary>
    private static async Task<List<WorkItem<EncodedText, float[]>>> ClassifyAsync(RequestScope scope, IReadOnlyList<(string Text, string? Pair)> inputs, Func<int, string> name, bool truncate)
    {
        TextClassificationPipeline<string> pipeline = scope.Model.Classifier!;
        var items = new List<WorkItem<EncodedText, float[]>>(inputs.Count);
        for (int i = 0; i < inputs.Count; i++)
        {
            var (text, pair) = inputs[i];
            string what = name(i);
            RequestScope.NotEmpty(text, what);
            if (pair is not null)
            {
                RequestScope.NotEmpty(pair, what);
            }

            EncodedText prepared = scope.Preprocess(what, text.Length + (pair?.Length ?? 0), () => pipeline.Preprocess(text, pair, truncate));
            items.Add(scope.Add(scope.Model.ClassifyStage!, prepared));
        }

        await scope.RunAsync(items).ConfigureAwait(false);
        return items;
    }

    /// <summary>TEI's predict input: a text, a pair <c>[a, b]</c>, or a batch of <c>[a]</c> / <c>[a, b]</c> lists.</summary>
    private static (List<(string Text, string? Pair)> Inputs, bool IsBatch) PredictInputs(JsonElement inputs)
    {
        const string Expected = "\"inputs\" must be a string, a pair [string, string], or a batch of [string] and [string, string] lists";
        if (inputs.ValueKind == JsonValueKind.String)
        {
            return ([(JsonFields.Text(inputs, "inputs"), null)], false);
        }

        if (inputs.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.Invalid($"{Expected}, not {JsonFields.Describe(inputs)}.");
        }

        JsonElement[] items = [.. inputs.EnumerateArray()];
        if (items.Length > 0 && items.All(e => e.ValueKind == JsonValueKind.String))
        {
            return items.Length <= 2
                ? ([(JsonFields.Text(items[0], "inputs[0]"), items.Length == 2 ? JsonFields.Text(items[1], "inputs[1]") : null)], false)
                : throw ApiException.Invalid($"{Expected}: a list of {items.Length} strings is neither (wrap each text in a list to send a batch: [[\"a\"], [\"b\"], …]).");
        }

        var batch = new List<(string, string?)>(items.Length);
        for (int i = 0; i < items.Length; i++)
        {
            JsonElement item = items[i];
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() is < 1 or > 2 || item.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                throw ApiException.Invalid($"{Expected}; inputs[{i}] is {JsonFields.Describe(item)}.");
            }

            batch.Add((JsonFields.Text(item[0], $"inputs[{i}][0]"), item.GetArrayLength() == 2 ? JsonFields.Text(item[1], $"inputs[{i}][1]") : null));
        }

        return (batch, true);
    }
}
