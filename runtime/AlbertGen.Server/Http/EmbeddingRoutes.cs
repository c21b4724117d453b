using System.Runtime.InteropServices;
using System.Text.Json;
using AlbertGen.Server.Engine;
using AlbertGen.Tasks;

namespace AlbertGen.Server.Http;

/// <summary>
/// <c>POST /embed</c> (TEI) and <c>POST /v1/embeddings</c> (OpenAI): sentence vectors of the served model's encoder, pooled
/// as <c>albertgen embed</c> pools by default.
/// </summary>
internal static class EmbeddingRoutes
{
    /// <summary>TEI: <c>{"inputs": str | [str], "truncate"?, "normalize"? = true, "dimensions"?}</c> → <c>[[float]]</c>.</summary>
    public static async Task<object> EmbedAsync(RequestScope scope, JsonElement body)
    {
        JsonElement request = JsonFields.Object(body);
        var (texts, isList) = JsonFields.StringOrStrings(JsonFields.Required(request, "inputs"), "inputs");
        bool truncate = JsonFields.Bool(request, "truncate") ?? scope.Options.AutoTruncate;
        bool normalize = JsonFields.Bool(request, "normalize") ?? true;
        int? dimensions = Dimensions(scope, request);
        return await EmbedAsync(scope, texts, isList, "inputs", truncate, normalize, dimensions).ConfigureAwait(false);
    }

    /// <summary>
    /// OpenAI: <c>{"input": str | [str], "model"?, "encoding_format"? = "float" | "base64", "dimensions"?, "user"?}</c> →
    /// <c>{"object": "list", "data": [{"object": "embedding", "embedding", "index"}], "model", "usage"}</c>. Vectors are
    /// unit length (OpenAI's are); base64 is the little-endian float32 bytes, as OpenAI sends them.
    /// </summary>
    public static async Task<object> OpenAIAsync(RequestScope scope, JsonElement body)
    {
        JsonElement request = JsonFields.Object(body);
        JsonElement input = JsonFields.Required(request, "input");
        if (input.ValueKind == JsonValueKind.Array && input.EnumerateArray().Any(e => e.ValueKind is JsonValueKind.Number or JsonValueKind.Array))
        {
            throw ApiException.Invalid("\"input\" holds token ids; this server embeds text only: send a string or a list of strings.");
        }

        var (texts, isList) = JsonFields.StringOrStrings(input, "input");
        string format = JsonFields.Optional(request, "encoding_format") is JsonElement f ? JsonFields.String(f, "encoding_format") : "float";
        if (format is not ("float" or "base64"))
        {
            throw ApiException.Invalid($"\"encoding_format\" must be \"float\" or \"base64\", not \"{format}\".");
        }

        int? dimensions = Dimensions(scope, request);
        float[][] vectors = await EmbedAsync(scope, texts, isList, "input", scope.Options.AutoTruncate, normalize: true, dimensions).ConfigureAwait(false);
        return new
        {
            @object = "list",
            data = vectors.Select((v, i) => new
            {
                @object = "embedding",
                embedding = format == "base64" ? (object)Convert.ToBase64String(MemoryMarshal.AsBytes(v.AsSpan())) : v,
                index = i,
            }),
            model = scope.ModelName,
            usage = new { prompt_tokens = scope.Tokens, total_tokens = scope.Tokens },
        };
    }

    private static async Task<float[][]> EmbedAsync(RequestScope scope, IReadOnlyList<string> texts, bool isList, string field, bool truncate, bool normalize, int? dimensions)
    {
        scope.CheckBatch(texts.Count, field);
        var items = new List<WorkItem<EncodedText, float[]>>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            string text = texts[i];
            string what = isList ? $"{field}[{i}]" : field;
            RequestScope.NotEmpty(text, what);
            EncodedText prepared = scope.Preprocess(what, text.Length, () => scope.Model.Embeddings.Preprocess(text, truncate));
            items.Add(scope.Add(scope.Model.EmbedStage, prepared));
        }

        await scope.RunAsync(items).ConfigureAwait(false);
        return scope.Postprocess(() => items.Select(i => Shorten(scope.Model.Embeddings.Postprocess(i.Completion.Result, normalize), dimensions, normalize)).ToArray());
    }

    /// <summary>The optional <c>dimensions</c>: at most the model's hidden size.</summary>
    private static int? Dimensions(RequestScope scope, JsonElement request)
    {
        int? dimensions = JsonFields.Int(request, "dimensions", 1);
        if (dimensions > scope.Model.Dimensions)
        {
            throw ApiException.Invalid($"\"dimensions\" is {dimensions}; this model's embeddings have {scope.Model.Dimensions}.");
        }

        return dimensions;
    }

    /// <summary>
    /// Keeps the first <paramref name="dimensions"/> values (Matryoshka-style, as TEI and OpenAI do), scaled back to unit
    /// length when the vector was normalised.
    /// </summary>
    private static float[] Shorten(float[] vector, int? dimensions, bool normalize)
    {
        if (dimensions is not int d || d == vector.Length)
        {
            return vector;
        }

        float[] cut = vector[..d];
        if (normalize)
        {
            double norm = Math.Sqrt(cut.Sum(x => (double)x * x));
            if (norm > 0)
            {
                for (int i = 0; i < cut.Length; i++)
                {
                    cut[i] = (float)(cut[i] / norm);
                }
            }
        }

        return cut;
    }
}
