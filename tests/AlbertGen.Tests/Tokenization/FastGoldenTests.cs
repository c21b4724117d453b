using System.Text.Json;
using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Tokenization;

/// <summary>One case of <c>fixtures/tokenizer/fast/golden-fast.json</c> (HuggingFace <c>tokenizers</c>, i.e. AlbertTokenizerFast).</summary>
public sealed record FastGoldenCase(
    string Id, string Text, string? TextPair, string[] Tokens, int[] InputIds, int[] TokenTypeIds, int[] SpecialTokensMask,
    int[] AttentionMask, (int Start, int End)[] Offsets, string Decode, string DecodeSkipSpecialTokens);

/// <summary>
/// Every case of golden-fast.json, field by field, from the fixture's tokenizer.json (a folder with no spiece.model)
/// and from the bare spiece.model converted as HuggingFace's AlbertConverter does.
/// </summary>
public sealed class FastGoldenTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, FastGoldenCase>> LazyCases = new(Load);
    private static readonly Lazy<AlbertTokenizer> FromJson = new(() => AlbertTokenizer.FromDirectory(FastFolder));
    private static readonly Lazy<AlbertTokenizer> FromModel = new(() => AlbertTokenizer.FromDirectory(SharedFolder.Tokenizer, TokenizerKind.Fast));

    public static string FastFolder => Path.Combine(SharedFolder.Tokenizer, "fast");

    public static IReadOnlyDictionary<string, FastGoldenCase> Cases => LazyCases.Value;

    public static TheoryData<string, string> SourcesAndCases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string source in new[] { "tokenizer.json", "spiece.model" })
            {
                foreach (string id in Cases.Keys)
                {
                    data.Add(source, id);
                }
            }

            return data;
        }
    }

    [Fact]
    public void Golden_file_has_all_44_cases() => Assert.Equal(44, Cases.Count);

    [Fact]
    public void A_folder_with_tokenizer_json_gives_the_fast_tokenizer_and_one_with_only_spiece_model_the_slow_one()
    {
        Assert.False(File.Exists(Path.Combine(FastFolder, "spiece.model")));
        Assert.Equal(TokenizerKind.Fast, FromJson.Value.Kind);
        Assert.Equal(TokenizerKind.Slow, AlbertTokenizer.FromDirectory(SharedFolder.Tokenizer).Kind);
        Assert.Equal(TokenizerKind.Fast, FromModel.Value.Kind);
    }

    [Theory]
    [MemberData(nameof(SourcesAndCases))]
    public void Encoding_matches(string source, string id)
    {
        FastGoldenCase c = Cases[id];
        AlbertEncoding encoding = Tokenizer(source).Encode(c.Text, c.TextPair);
        Assert.Equal(c.Tokens, encoding.Tokens);
        Assert.Equal(c.InputIds, encoding.InputIds);
        Assert.Equal(c.TokenTypeIds, encoding.TokenTypeIds);
        Assert.Equal(c.SpecialTokensMask, encoding.SpecialTokensMask);
        Assert.Equal(c.AttentionMask, encoding.AttentionMask);
    }

    [Theory]
    [MemberData(nameof(SourcesAndCases))]
    public void Offsets_match(string source, string id)
    {
        FastGoldenCase c = Cases[id];
        AlbertEncoding encoding = Tokenizer(source).Encode(c.Text, c.TextPair);
        // The golden offsets count code points (HF's Rust offsets as chars); .NET strings count UTF-16 units.
        var expected = c.Offsets.Select((o, i) => encoding.TokenTypeIds[i] == 1 && c.TextPair is not null
            ? (Utf16(c.TextPair, o.Start), Utf16(c.TextPair, o.End))
            : (Utf16(c.Text, o.Start), Utf16(c.Text, o.End)));
        Assert.Equal(expected, encoding.Offsets);
    }

    [Theory]
    [MemberData(nameof(SourcesAndCases))]
    public void Decode_matches(string source, string id)
    {
        FastGoldenCase c = Cases[id];
        Assert.Equal(c.Decode, Tokenizer(source).Decode(c.InputIds));
        Assert.Equal(c.DecodeSkipSpecialTokens, Tokenizer(source).Decode(c.InputIds, skipSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(SourcesAndCases))]
    public void Ids_alone_match_the_encoding(string source, string id)
    {
        FastGoldenCase c = Cases[id];
        if (c.TextPair is null)
        {
            Assert.Equal(c.InputIds, Tokenizer(source).EncodeToIds(c.Text));
            Assert.Equal(c.Tokens[1..^1], Tokenizer(source).Tokenize(c.Text));
        }
    }

    [Fact]
    public void Ten_cases_differ_from_the_slow_tokenizer_as_the_fixture_says()
    {
        int differing = Cases.Values.Count(c => !Golden.Cases[c.Id].InputIds.SequenceEqual(FromJson.Value.Encode(c.Text, c.TextPair).InputIds));
        Assert.Equal(10, differing);
    }

    internal static AlbertTokenizer Tokenizer(string source) => source == "tokenizer.json" ? FromJson.Value : FromModel.Value;

    /// <summary>The UTF-16 index of code point <paramref name="codePoints"/> of <paramref name="text"/>.</summary>
    private static int Utf16(string text, int codePoints)
    {
        int index = 0;
        for (int k = 0; k < codePoints; k++)
        {
            index += char.IsHighSurrogate(text[index]) ? 2 : 1;
        }

        return index;
    }

    private static IReadOnlyDictionary<string, FastGoldenCase> Load()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FastFolder, "golden-fast.json")));
        var cases = new Dictionary<string, FastGoldenCase>();
        foreach (JsonElement c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            int[] Ints(string name) => [.. c.GetProperty(name).EnumerateArray().Select(x => x.GetInt32())];
            string? Text(string name) => c.TryGetProperty(name, out JsonElement e) ? e.GetString() : null;
            var golden = new FastGoldenCase(
                Text("id")!, Text("text")!, Text("text_pair"), [.. c.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()!)],
                Ints("input_ids"), Ints("token_type_ids"), Ints("special_tokens_mask"), Ints("attention_mask"),
                [.. c.GetProperty("offsets").EnumerateArray().Select(o => (o[0].GetInt32(), o[1].GetInt32()))],
                Text("decode")!, Text("decode_skip_special_tokens")!);
            cases.Add(golden.Id, golden);
        }

        return cases;
    }
}
