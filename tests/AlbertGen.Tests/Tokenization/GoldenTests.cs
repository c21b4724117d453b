using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Tokenization;

/// <summary>Every case of golden.json, field by field, against HuggingFace's AlbertTokenizer.</summary>
public sealed class GoldenTests
{
    private static AlbertTokenizer Tokenizer => Golden.Tokenizer;

    public static TheoryData<string> Cases => Golden.CaseIds;

    [Fact]
    public void Golden_file_has_all_44_cases() => Assert.Equal(44, Golden.Cases.Count);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tokens_match(string id)
    {
        GoldenCase c = Golden.Cases[id];
        Assert.Equal(c.Tokens, Tokenizer.Tokenize(c.Text));
        if (c.TextPair is not null)
        {
            Assert.Equal(c.TokensPair, Tokenizer.Tokenize(c.TextPair));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Token_ids_match(string id)
    {
        GoldenCase c = Golden.Cases[id];
        Assert.Equal(c.TokenIds, Tokenizer.EncodeToIds(c.Text, addSpecialTokens: false));
        Assert.Equal(c.TokenIds, Tokenizer.ConvertTokensToIds(c.Tokens));
        if (c.TextPair is not null)
        {
            Assert.Equal(c.TokenIdsPair, Tokenizer.EncodeToIds(c.TextPair, addSpecialTokens: false));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encoding_matches(string id)
    {
        GoldenCase c = Golden.Cases[id];
        AlbertEncoding encoding = Tokenizer.Encode(c.Text, c.TextPair);
        Assert.Equal(c.InputIds, encoding.InputIds);
        Assert.Equal(c.TokenTypeIds, encoding.TokenTypeIds);
        Assert.Equal(c.SpecialTokensMask, encoding.SpecialTokensMask);
        Assert.Equal(c.AttentionMask, encoding.AttentionMask);
        Assert.Equal(c.InputIds.Length, encoding.Tokens.Count);
        Assert.Equal(c.InputIds.Length, encoding.Offsets.Count);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Single_text_ids_match_encode(string id)
    {
        GoldenCase c = Golden.Cases[id];
        if (c.TextPair is null)
        {
            Assert.Equal(c.InputIds, Tokenizer.EncodeToIds(c.Text));
        }
        else
        {
            Assert.Equal(c.InputIds, Tokenizer.Encode(c.Text, c.TextPair).InputIds);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_matches(string id)
    {
        GoldenCase c = Golden.Cases[id];
        Assert.Equal(c.Decode, Tokenizer.Decode(c.InputIds));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_skipping_special_tokens_matches(string id)
    {
        GoldenCase c = Golden.Cases[id];
        Assert.Equal(c.DecodeSkipSpecialTokens, Tokenizer.Decode(c.InputIds, skipSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Convert_tokens_to_string_matches(string id)
    {
        GoldenCase c = Golden.Cases[id];
        Assert.Equal(c.ConvertTokensToString, Tokenizer.ConvertTokensToString(c.Tokens));
    }
}
