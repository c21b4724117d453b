using System.Text.Json;
using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Tokenization;

/// <summary>One case of <c>fixtures/tokenizer/golden.json</c> (HuggingFace AlbertTokenizer outputs).</summary>
public sealed record GoldenCase(
    string Id,
    string Text,
    string? TextPair,
    string[] Tokens,
    int[] TokenIds,
    string[]? TokensPair,
    int[]? TokenIdsPair,
    int[] InputIds,
    int[] TokenTypeIds,
    int[] SpecialTokensMask,
    int[] AttentionMask,
    string ConvertTokensToString,
    string Decode,
    string DecodeSkipSpecialTokens)
{
    public override string ToString() => Id;
}

/// <summary>Loads the golden cases and the fixture tokenizer once.</summary>
public static class Golden
{
    private static readonly Lazy<IReadOnlyDictionary<string, GoldenCase>> LazyCases = new(Load);
    private static readonly Lazy<AlbertTokenizer> LazyTokenizer = new(() => AlbertTokenizer.FromFile(ModelPath));

    public static string ModelPath => Path.Combine(SharedFolder.Tokenizer, "spiece.model");

    public static AlbertTokenizer Tokenizer => LazyTokenizer.Value;

    public static IReadOnlyDictionary<string, GoldenCase> Cases => LazyCases.Value;

    public static TheoryData<string> CaseIds
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string id in Cases.Keys)
            {
                data.Add(id);
            }

            return data;
        }
    }

    private static IReadOnlyDictionary<string, GoldenCase> Load()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(SharedFolder.Tokenizer, "golden.json")));
        var cases = new Dictionary<string, GoldenCase>();
        foreach (JsonElement c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            string[]? Strings(string name) => c.TryGetProperty(name, out JsonElement e) ? e.EnumerateArray().Select(x => x.GetString()!).ToArray() : null;
            int[]? Ints(string name) => c.TryGetProperty(name, out JsonElement e) ? e.EnumerateArray().Select(x => x.GetInt32()).ToArray() : null;
            string? Text(string name) => c.TryGetProperty(name, out JsonElement e) ? e.GetString() : null;
            var golden = new GoldenCase(
                Text("id")!, Text("text")!, Text("text_pair"), Strings("tokens")!, Ints("token_ids")!,
                Strings("tokens_pair"), Ints("token_ids_pair"), Ints("input_ids")!, Ints("token_type_ids")!,
                Ints("special_tokens_mask")!, Ints("attention_mask")!, Text("convert_tokens_to_string")!,
                Text("decode")!, Text("decode_skip_special_tokens")!);
            cases.Add(golden.Id, golden);
        }

        return cases;
    }
}
