using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Tokenization;

/// <summary>Ids and tokens, special tokens, decoding options and saving the vocabulary.</summary>
public sealed class VocabularyAndDecodeTests
{
    private static AlbertTokenizer Tokenizer => Golden.Tokenizer;

    [Fact]
    public void Special_ids_are_those_of_the_fixture()
    {
        Assert.Equal(1000, Tokenizer.VocabularySize);
        Assert.Equal(
            [0, 1, 2, 3, 4],
            new[] { Tokenizer.PadTokenId, Tokenizer.UnknownTokenId, Tokenizer.ClsTokenId, Tokenizer.SepTokenId, Tokenizer.MaskTokenId });
        Assert.Equal(512, Tokenizer.MaxLength);
    }

    [Fact]
    public void Ids_and_tokens_round_trip()
    {
        for (int id = 0; id < Tokenizer.VocabularySize; id++)
        {
            Assert.Equal(id, Tokenizer.ConvertTokenToId(Tokenizer.ConvertIdToToken(id)));
        }
    }

    [Fact]
    public void Text_that_is_not_a_token_is_unknown() => Assert.Equal(1, Tokenizer.ConvertTokenToId("東京"));

    [Fact]
    public void Ids_to_tokens_can_skip_special_tokens() =>
        Assert.Equal(["▁he", "ll", "o"], Tokenizer.ConvertIdsToTokens([2, 64, 137, 36, 1, 3, 0], skipSpecialTokens: true));

    [Fact]
    public void Decode_without_clean_up_keeps_spaces_before_punctuation() =>
        Assert.Equal("hello world !", Tokenizer.Decode(Tokenizer.ConvertTokensToIds(["▁he", "ll", "o", "▁world", "▁", "!"]), cleanUpTokenizationSpaces: false));

    [Theory]
    [InlineData("a . b ? c ! d , e", "a. b? c! d, e")]
    [InlineData("do n't I 'm it 's we 've you 're", "don't I'm it's we've you're")]
    [InlineData("a ' b", "a'b")]
    public void Clean_up_applies_hugging_face_rules(string text, string expected) =>
        Assert.Equal(expected, AlbertTokenizer.CleanUpTokenization(text));

    [Fact]
    public void Mask_token_strips_the_space_on_its_left_only_when_spaces_are_kept()
    {
        AlbertTokenizer keepSpace = AlbertTokenizer.FromFile(Golden.ModelPath, new AlbertTokenizerOptions { RemoveSpace = false });
        Assert.Equal(["▁a", "[MASK]", "▁b"], keepSpace.Tokenize("a   [MASK]   b"));
    }

    [Fact]
    public void Lower_case_special_tokens_are_found_in_any_case()
    {
        Assert.Equal(["▁", "x", "<unk>", "▁", "y"], Tokenizer.Tokenize("x <UNK> y"));
        Assert.Equal(["▁", "[", "c", "l", "s", "]"], Tokenizer.Tokenize("[cls]"));
    }

    [Fact]
    public void Without_lower_casing_capitals_stay_unknown_or_split()
    {
        AlbertTokenizer cased = AlbertTokenizer.FromFile(Golden.ModelPath, new AlbertTokenizerOptions { DoLowerCase = false });
        Assert.NotEqual(Tokenizer.Tokenize("Hello"), cased.Tokenize("Hello"));
        Assert.Equal(Tokenizer.Tokenize("hello"), cased.Tokenize("hello"));
    }

    [Fact]
    public void Keeping_accents_leaves_them_to_the_model()
    {
        AlbertTokenizer accents = AlbertTokenizer.FromFile(Golden.ModelPath, new AlbertTokenizerOptions { KeepAccents = true });
        Assert.Contains("é", accents.Tokenize("café"));
        Assert.DoesNotContain("é", Tokenizer.Tokenize("café"));
    }

    [Fact]
    public void Max_length_comes_from_the_config()
    {
        AlbertTokenizerOptions options = AlbertTokenizerOptions.ForConfig(new AlbertConfig { MaxPositionEmbeddings = 64 });
        Assert.Equal(64, AlbertTokenizer.FromFile(Golden.ModelPath, options).MaxLength);
    }

    [Fact]
    public void Save_vocabulary_writes_the_model_bytes()
    {
        using var temp = new TempDirectory("vocab");
        string directory = temp.File("not-yet-made"); // SaveVocabulary makes the folder
        string path = Tokenizer.SaveVocabulary(directory);
        Assert.Equal(Path.Combine(directory, "spiece.model"), path);
        Assert.Equal(File.ReadAllBytes(Golden.ModelPath), File.ReadAllBytes(path));
        Assert.Equal(Tokenizer.EncodeToIds("Hello world"), AlbertTokenizer.FromFile(path).EncodeToIds("Hello world"));
    }
}
