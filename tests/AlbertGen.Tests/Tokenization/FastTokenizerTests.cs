using System.Text.Json.Nodes;
using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Tokenization;

/// <summary>The fast tokenizer beyond the goldens: each tokenizer.json component as HF documents it, bad files, options.</summary>
public sealed class FastTokenizerTests : IDisposable
{
    private readonly TempDirectory _temp = new("fast-tokenizer");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private static string FixtureJson => Path.Combine(FastGoldenTests.FastFolder, "tokenizer.json");

    private static AlbertTokenizer Fixture => FastGoldenTests.Tokenizer("tokenizer.json");

    /// <summary>The fixture's tokenizer.json, changed by <paramref name="edit"/>, written to a new folder; returns the folder.</summary>
    private string Variant(Action<JsonObject> edit)
    {
        JsonObject json = JsonNode.Parse(File.ReadAllText(FixtureJson))!.AsObject();
        edit(json);
        string folder = _temp.NewFolder();
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());
        return folder;
    }

    private string WriteFile(string text)
    {
        string folder = _temp.NewFolder();
        string path = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(path, text);
        return path;
    }

    private static JsonObject Metaspace(string spelling) => JsonNode.Parse(
        "{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\"," + spelling + "}")!.AsObject();

    [Fact]
    public void The_older_add_prefix_space_spelling_reads_as_prepend_scheme_always()
    {
        AlbertTokenizer old = AlbertTokenizer.FromDirectory(Variant(json =>
        {
            json["pre_tokenizer"] = Metaspace("\"add_prefix_space\":true");
            json["decoder"] = Metaspace("\"add_prefix_space\":true");
        }));
        foreach (FastGoldenCase c in FastGoldenTests.Cases.Values)
        {
            Assert.Equal(c.InputIds, old.Encode(c.Text, c.TextPair).InputIds);
            Assert.Equal(c.Decode, old.Decode(c.InputIds));
        }
    }

    [Fact]
    public void Add_prefix_space_false_never_prepends_and_decodes_the_first_token_with_its_space()
    {
        AlbertTokenizer never = AlbertTokenizer.FromDirectory(Variant(json =>
        {
            json["pre_tokenizer"] = Metaspace("\"add_prefix_space\":false");
            json["decoder"] = Metaspace("\"add_prefix_space\":false");
        }));
        IReadOnlyList<string> tokens = never.Tokenize("hello world");
        Assert.NotEqual('▁', tokens[0][0]);
        Assert.Equal("hello▁world", string.Concat(tokens));
        Assert.Equal(" world", never.ConvertTokensToString(["▁world"]));
        Assert.Equal("world", Fixture.ConvertTokensToString(["▁world"]));
    }

    [Fact]
    public void Prepend_scheme_first_prepends_only_at_the_start_of_the_text()
    {
        AlbertTokenizer first = AlbertTokenizer.FromDirectory(Variant(json =>
            json["pre_tokenizer"] = Metaspace("\"prepend_scheme\":\"first\",\"split\":true")));
        Assert.StartsWith("▁", first.Tokenize("hi")[0]);
        IReadOnlyList<string> afterSpecial = first.Tokenize("[CLS]hi");
        Assert.Equal("[CLS]", afterSpecial[0]);
        Assert.Equal("hi", string.Concat(afterSpecial.Skip(1)));
        Assert.Equal("▁hi", string.Concat(Fixture.Tokenize("[CLS]hi").Skip(1)));
    }

    [Fact]
    public void Add_prefix_space_false_with_prepend_scheme_always_is_refused()
    {
        var e = Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromDirectory(Variant(json =>
            json["pre_tokenizer"] = Metaspace("\"add_prefix_space\":false,\"prepend_scheme\":\"always\""))));
        Assert.Contains("pre_tokenizer.add_prefix_space", e.Message);
    }

    [Theory]
    [InlineData("BPE")]
    [InlineData("WordPiece")]
    [InlineData("WordLevel")]
    public void A_model_that_is_not_unigram_is_refused_naming_the_field(string type)
    {
        string folder = Variant(json => json["model"]!["type"] = type);
        var e = Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromDirectory(folder));
        Assert.Contains("model.type", e.Message);
        Assert.Contains(type, e.Message);
        Assert.Contains(Path.Combine(folder, "tokenizer.json"), e.Message);
    }

    [Fact]
    public void A_truncated_file_is_one_line_naming_the_file()
    {
        byte[] bytes = File.ReadAllBytes(FixtureJson);
        foreach (int length in new[] { 0, 1, 100, bytes.Length / 2, bytes.Length - 2 })
        {
            string path = WriteFile(System.Text.Encoding.UTF8.GetString(bytes, 0, length));
            var e = Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromFile(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("not valid JSON", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    public static TheoryData<string, string> CorruptFields => new()
    {
        { "model.vocab[5][1]", "{\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0],[\"b\",0],[\"c\",0],[\"d\",0],[\"e\",0],[\"f\",\"high\"]]}}" },
        { "model.vocab", "{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}" },
        { "model.unk_id", "{\"model\":{\"type\":\"Unigram\",\"unk_id\":7,\"vocab\":[[\"a\",0]]}}" },
        { "model", "{\"normalizer\":null}" },
        { "the top level", "[1,2,3]" },
        { "normalizer.normalizers[1].type", "{\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]},\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFKD\"},{\"type\":\"BertNormalizer\"}]}}" },
        { "normalizer.precompiled_charsmap", "{\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]},\"normalizer\":{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"%%%\"}}" },
        { "normalizer.precompiled_charsmap", "{\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]},\"normalizer\":{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"AAAAAAAA\"}}" },
        { "pre_tokenizer.type", "{\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]},\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}" },
        { "post_processor.single[0].SpecialToken.id", "{\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]},\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"[X]\",\"type_id\":0}}],\"pair\":[],\"special_tokens\":{}}}" },
        { "added_tokens[0].content", "{\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]},\"added_tokens\":[{\"id\":0,\"content\":5}]}" },
        { "decoder.replacement", "{\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]},\"decoder\":{\"type\":\"Metaspace\",\"replacement\":\"ab\"}}" },
    };

    [Theory]
    [MemberData(nameof(CorruptFields))]
    public void A_corrupt_field_is_one_line_naming_the_file_and_the_field(string field, string json)
    {
        string path = WriteFile(json);
        var e = Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromFile(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(field, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_normalized_added_token_matches_the_normalised_text()
    {
        AlbertTokenizer tokenizer = AlbertTokenizer.FromDirectory(Variant(json => json["added_tokens"]!.AsArray().Add(JsonNode.Parse(
            "{\"id\":1000,\"content\":\"Gizmo\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":true,\"special\":false}"))));
        AlbertEncoding encoding = tokenizer.Encode("a GIZMO!", new AlbertEncodeOptions { AddSpecialTokens = false });
        int at = encoding.InputIds.ToList().IndexOf(1000);
        Assert.Equal("gizmo", encoding.Tokens[at]);
        Assert.Equal((2, 7), encoding.Offsets[at]);
        Assert.Equal(1001, tokenizer.VocabularySize);
        Assert.Equal("Gizmo", tokenizer.ConvertIdToToken(1000));
        Assert.False(tokenizer.IsSpecialTokenId(1000));
    }

    [Fact]
    public void Single_word_and_rstrip_added_tokens_follow_their_flags()
    {
        AlbertTokenizer tokenizer = AlbertTokenizer.FromDirectory(Variant(json => json["added_tokens"]!.AsArray().Add(JsonNode.Parse(
            "{\"id\":1000,\"content\":\"zz\",\"single_word\":true,\"lstrip\":false,\"rstrip\":true,\"normalized\":false,\"special\":true}"))));
        var options = new AlbertEncodeOptions { AddSpecialTokens = false };
        AlbertEncoding alone = tokenizer.Encode("a zz  b", options);
        int at = alone.InputIds.ToList().IndexOf(1000);
        Assert.Equal("zz  ", alone.Tokens[at]);
        Assert.Equal((2, 6), alone.Offsets[at]);
        Assert.DoesNotContain(1000, tokenizer.Encode("azz b", options).InputIds);
        Assert.True(tokenizer.IsSpecialTokenId(1000));
        // The space before the token stays in the text before it ("a " is "▁a ▁"); the one after goes with the token.
        Assert.Equal(["▁a", "▁", "zz ", "▁b"], tokenizer.Tokenize("a zz b"));
        Assert.Equal("a  b", tokenizer.Decode(tokenizer.Encode("a zz b").InputIds, skipSpecialTokens: true));
    }

    [Fact]
    public void Longest_first_truncation_of_a_pair_splits_the_budget_as_hf_tokenizers_does()
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 10 };
        string first = string.Join(" ", Enumerable.Repeat("the", 10)), second = "and and and"; // 10 and 3 tokens: 7 fit beside the 3 specials
        Assert.Equal(10, Fixture.EncodeToIds(first, addSpecialTokens: false).Length);
        Assert.Equal(3, Fixture.EncodeToIds(second, addSpecialTokens: false).Length);
        AlbertEncoding encoding = Fixture.Encode(first, second, options);
        Assert.Equal(10, encoding.Length);
        Assert.Equal(4, encoding.SequenceIds.Count(s => s == 0)); // HF: the shorter keeps 3, the longer max(3, 7 - 3) = 4
        Assert.Equal(3, encoding.SequenceIds.Count(s => s == 1));
    }

    [Fact]
    public void Padding_and_batches_work_as_for_the_slow_tokenizer()
    {
        string[] texts = ["Hello world!", "1,000,000", "   ", "[CLS] already [SEP]"];
        AlbertBatchEncoding batch = Fixture.EncodeBatch(texts, new AlbertEncodeOptions { Padding = PaddingStrategy.Longest });
        int longest = texts.Max(t => Fixture.Encode(t).Length);
        for (int i = 0; i < texts.Length; i++)
        {
            AlbertEncoding single = Fixture.Encode(texts[i]);
            AlbertEncoding row = batch[i];
            Assert.Equal(longest, row.Length);
            Assert.Equal(single.InputIds, row.InputIds.Take(single.Length));
            Assert.All(row.InputIds.Skip(single.Length), id => Assert.Equal(Fixture.PadTokenId, id));
            Assert.All(row.AttentionMask.Skip(single.Length), m => Assert.Equal(0, m));
        }
    }

    [Fact]
    public void Save_vocabulary_writes_the_tokenizer_json_and_the_folder_loads_fast_again()
    {
        string folder = _temp.NewFolder();
        string path = Fixture.SaveVocabulary(folder);
        Assert.Equal("tokenizer.json", Path.GetFileName(path));
        Assert.Equal(File.ReadAllBytes(FixtureJson), File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(folder));
        AlbertTokenizer again = AlbertTokenizer.FromDirectory(folder);
        Assert.Equal(TokenizerKind.Fast, again.Kind);
        Assert.Equal(Fixture.Encode("The year 2019, 1,000").InputIds, again.Encode("The year 2019, 1,000").InputIds);
    }

    [Fact]
    public void Tokenizer_config_and_special_tokens_map_are_honoured()
    {
        string folder = _temp.NewFolder();
        File.Copy(Golden.ModelPath, Path.Combine(folder, "spiece.model"));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            "{\"do_lower_case\": false, \"model_max_length\": 8, \"mask_token\": {\"content\": \"[MASK]\", \"lstrip\": true}, \"sep_token\": \"[CLS]\"}");
        File.WriteAllText(Path.Combine(folder, "special_tokens_map.json"), "{\"sep_token\": \"[SEP]\", \"pad_token\": \"<unk>\"}");
        foreach (TokenizerKind kind in new[] { TokenizerKind.Slow, TokenizerKind.Fast })
        {
            AlbertTokenizer tokenizer = AlbertTokenizer.FromDirectory(folder, kind);
            Assert.Equal(kind, tokenizer.Kind);
            Assert.Equal(8, tokenizer.MaxLength);
            Assert.False(tokenizer.Options.DoLowerCase);
            Assert.NotEqual(Golden.Tokenizer.EncodeToIds("HELLO"), tokenizer.EncodeToIds("HELLO"));
            Assert.Equal(Golden.Tokenizer.SepTokenId, tokenizer.SepTokenId); // the map wins over the config
            Assert.Equal(Golden.Tokenizer.UnknownTokenId, tokenizer.PadTokenId);
        }

        Assert.Equal(9, AlbertTokenizer.FromDirectory(folder, maxLength: 9).MaxLength);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), "{\"do_lower_case\": \"yes\"}");
        var e = Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromDirectory(folder));
        Assert.Contains("tokenizer_config.json", e.Message);
        Assert.Contains("do_lower_case", e.Message);
    }

    [Fact]
    public void A_folder_without_a_tokenizer_names_both_files()
    {
        string folder = _temp.NewFolder();
        var e = Assert.Throws<FileNotFoundException>(() => AlbertTokenizer.FromDirectory(folder));
        Assert.Contains("tokenizer.json", e.Message);
        Assert.Contains("spiece.model", e.Message);
        Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromFile(FixtureJson, new AlbertTokenizerOptions { Kind = TokenizerKind.Slow }));
    }

    [Fact]
    public void Parallel_batches_equal_serial_encodings()
    {
        AlbertTokenizer cold = AlbertTokenizer.FromDirectory(FastGoldenTests.FastFolder);
        string[] texts = [.. FastGoldenTests.Cases.Values.Select(c => c.Text), .. Enumerable.Range(0, 200).Select(i => $"Line {i:N0}, of {i * 37 % 11} words! ")];
        AlbertBatchEncoding batch = cold.EncodeBatch(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(Fixture.Encode(texts[i]).InputIds, batch[i].InputIds);
            Assert.Equal(Fixture.Encode(texts[i]).Offsets, batch[i].Offsets);
        }
    }
}
