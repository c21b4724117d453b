using System.Text.Json;
using AlbertGen.Tokenization;

namespace AlbertGen.Server.Http;

/// <summary><c>POST /tokenize</c> and <c>POST /decode</c> (TEI): the served model's tokenizer, no model pass.</summary>
internal static class TokenizerRoutes
{
    /// <summary>
    /// <c>{"inputs": str | [str], "add_special_tokens"? = true}</c> → <c>[[{"id", "text", "special", "start", "stop"}]]</c>
    /// (one list per input, also for a single string, as TEI). <c>start</c>/<c>stop</c> are char offsets into the input
    /// (null for special tokens); <c>text</c> is the input's text at those offsets, or the token itself for special tokens.
    /// Inputs are not truncated.
    /// </summary>
    public static Task<object> TokenizeAsync(RequestScope scope, JsonElement body)
    {
        JsonElement request = JsonFields.Object(body);
        var (texts, _) = JsonFields.StringOrStrings(JsonFields.Required(request, "inputs"), "inputs");
        bool special = JsonFields.Bool(request, "add_special_tokens") ?? true;
        scope.CheckBatch(texts.Count, "inputs");
        var options = new AlbertEncodeOptions { AddSpecialTokens = special };
        var result = new List<object>(texts.Count);
        foreach (string text in texts)
        {
            AlbertEncoding encoding = scope.Model.Tokenizer.Encode(text, options);
            result.Add(Enumerable.Range(0, encoding.Length).Select(i =>
            {
                bool isSpecial = encoding.SpecialTokensMask[i] != 0;
                (int start, int end) = encoding.Offsets[i];
                return new
                {
                    id = encoding.InputIds[i],
                    text = isSpecial || end <= start ? encoding.Tokens[i] : text[start..end],
                    special = isSpecial,
                    start = isSpecial ? (int?)null : start,
                    stop = isSpecial ? (int?)null : end,
                };
            }).ToList());
        }

        return Task.FromResult<object>(result);
    }

    /// <summary>
    /// <c>{"ids": [int] | [[int]], "skip_special_tokens"? = true}</c> → <c>[str]</c>, one text per id list (a list also for a
    /// single list, as TEI).
    /// </summary>
    public static Task<object> DecodeAsync(RequestScope scope, JsonElement body)
    {
        JsonElement request = JsonFields.Object(body);
        JsonElement ids = JsonFields.Required(request, "ids");
        bool skip = JsonFields.Bool(request, "skip_special_tokens") ?? true;
        const string Expected = "\"ids\" must be a list of token ids or a list of such lists";
        if (ids.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.Invalid($"{Expected}, not {JsonFields.Describe(ids)}.");
        }

        bool nested = ids.GetArrayLength() > 0 && ids[0].ValueKind == JsonValueKind.Array;
        JsonElement[] lists = nested ? [.. ids.EnumerateArray()] : [ids];
        scope.CheckBatch(lists.Length, "ids");
        int vocabulary = scope.Model.Tokenizer.VocabularySize;
        var texts = new List<string>(lists.Length);
        for (int l = 0; l < lists.Length; l++)
        {
            string where = nested ? $"ids[{l}]" : "ids";
            if (lists[l].ValueKind != JsonValueKind.Array)
            {
                throw ApiException.Invalid($"{Expected}; {where} is {JsonFields.Describe(lists[l])}.");
            }

            var list = new List<int>(lists[l].GetArrayLength());
            int i = 0;
            foreach (JsonElement id in lists[l].EnumerateArray())
            {
                if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out int value) || value < 0 || value >= vocabulary)
                {
                    throw ApiException.Invalid($"{where}[{i}] is {JsonFields.Describe(id)}; token ids are integers from 0 to {vocabulary - 1}.");
                }

                list.Add(value);
                i++;
            }

            texts.Add(scope.Model.Tokenizer.Decode(list, skipSpecialTokens: skip));
        }

        return Task.FromResult<object>(texts);
    }
}
