using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Tokenization;

/// <summary>Offsets point into the original text: each token's slice, normalised, is the token without <c>▁</c>.</summary>
public sealed class OffsetTests
{
    private static AlbertTokenizer Tokenizer => Golden.Tokenizer;

    private static readonly Lazy<SentencePieceTextNormalizer> Normalizer = new(() =>
        new SentencePieceTextNormalizer(SentencePieceModelFile.Parse(File.ReadAllBytes(Golden.ModelPath), Golden.ModelPath)));

    public static TheoryData<string> Cases => Golden.CaseIds;

    public static TheoryData<string> TrickyTexts =>
    [
        "ﬁnance ﬂow ﬃ",
        "① ② ⑩ ½",
        "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
        "𝐀𝐁𝐂 math 𝟗, bold",
        "😀 emoji 🎉🎉 x😀y",
        "İstanbul ǅ",
        "e\u0301cole cafe\u0301 and naïve",
        "`` quoted '' ```x'''",
        "a\u00A8b umlaut alone",
        "한국어 텍스트",
        "ｶﾀｶﾅ ｶﾞｷﾞ",
        "x\u0000y\u0007z\u001Fw",
        "\u00A0\u2003lots\u3000of\u2028space\u0085 ",
        "zero\u200Bwidth\u200Djoiner",
        "hello [MASK] world [SEP] again<unk>",
        "Numbers 1,234,567, and 9, and 42,",
        "™ ℃ ㎏ …",
        "   padded   text   ",
        "ΟΔΟΣ Straße",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Golden_texts_slice_to_their_tokens(string id)
    {
        GoldenCase c = Golden.Cases[id];
        AssertSlicesMatch(c.Text, Tokenizer.Encode(c.Text, AlbertEncodeOptions.Default with { AddSpecialTokens = false }));
        if (c.TextPair is not null)
        {
            AssertSlicesMatch(c.TextPair, Tokenizer.Encode(c.TextPair, AlbertEncodeOptions.Default with { AddSpecialTokens = false }));
        }
    }

    [Theory]
    [MemberData(nameof(TrickyTexts))]
    public void Tricky_texts_slice_to_their_tokens(string text) =>
        AssertSlicesMatch(text, Tokenizer.Encode(text, AlbertEncodeOptions.Default with { AddSpecialTokens = false }));

    [Fact]
    public void Added_special_tokens_have_empty_offsets()
    {
        AlbertEncoding encoding = Tokenizer.Encode("Hello", "world");
        Assert.Equal((0, 0), encoding.Offsets[0]);
        Assert.Equal((0, 0), encoding.Offsets[encoding.Length - 1]);
        Assert.Equal((0, 0), encoding.Offsets[encoding.SequenceIds.ToList().IndexOf(1) - 1]);
    }

    [Fact]
    public void Pair_offsets_index_their_own_text()
    {
        AlbertEncoding encoding = Tokenizer.Encode("Hello", "big world");
        int world = encoding.Tokens.ToList().IndexOf("▁world");
        Assert.Equal(1, encoding.SequenceIds[world]);
        Assert.Equal((4, 9), encoding.Offsets[world]);
    }

    [Fact]
    public void Word_token_range_excludes_the_space_symbol()
    {
        AlbertEncoding encoding = Tokenizer.Encode("Hello world!", AlbertEncodeOptions.Default with { AddSpecialTokens = false });
        Assert.Equal(["▁he", "ll", "o", "▁world", "!"], encoding.Tokens);
        Assert.Equal([(0, 2), (2, 4), (4, 5), (6, 11), (11, 12)], encoding.Offsets);
    }

    [Fact]
    public void Ligature_expansion_gives_overlapping_ranges_on_the_ligature()
    {
        AlbertEncoding encoding = Tokenizer.Encode("ﬁnance", AlbertEncodeOptions.Default with { AddSpecialTokens = false });
        Assert.Equal(["▁f", "in", "ance"], encoding.Tokens);
        Assert.Equal([(0, 1), (0, 2), (2, 6)], encoding.Offsets);
    }

    [Fact]
    public void Surrogate_pairs_are_covered_whole()
    {
        AlbertEncoding encoding = Tokenizer.Encode("a 😀", AlbertEncodeOptions.Default with { AddSpecialTokens = false });
        Assert.Equal("😀", encoding.Tokens[^1]);
        Assert.Equal((2, 4), encoding.Offsets[^1]);
    }

    [Fact]
    public void Dropped_accent_stays_with_its_letter()
    {
        string text = "cafe\u0301";
        AlbertEncoding encoding = Tokenizer.Encode(text, AlbertEncodeOptions.Default with { AddSpecialTokens = false });
        Assert.Equal(text.Length, encoding.Offsets[^1].End);
    }

    [Fact]
    public void Quote_pair_maps_to_both_backticks()
    {
        AlbertEncoding encoding = Tokenizer.Encode("``x", AlbertEncodeOptions.Default with { AddSpecialTokens = false });
        int quote = encoding.Tokens.ToList().IndexOf("\"");
        Assert.Equal((0, 2), encoding.Offsets[quote]);
    }

    [Fact]
    public void Special_token_in_text_keeps_its_place()
    {
        AlbertEncoding encoding = Tokenizer.Encode("hello [MASK] world", AlbertEncodeOptions.Default with { AddSpecialTokens = false });
        int mask = encoding.Tokens.ToList().IndexOf("[MASK]");
        Assert.Equal((6, 12), encoding.Offsets[mask]);
    }

    private static void AssertSlicesMatch(string text, AlbertEncoding encoding)
    {
        for (int i = 0; i < encoding.Length; i++)
        {
            (int start, int end) = encoding.Offsets[i];
            Assert.InRange(start, 0, text.Length);
            Assert.InRange(end, start, text.Length);
            if (i > 0)
            {
                Assert.True(start >= encoding.Offsets[i - 1].Start, $"token {i} starts before token {i - 1} in '{text}'");
            }

            string token = encoding.Tokens[i];
            string slice = text[start..end];
            if (encoding.SpecialTokensMask[i] == 0 && Tokenizer.IsSpecialTokenId(encoding.InputIds[i]) && token.Length > 1 && token[0] is '[' or '<')
            {
                Assert.Equal(token.ToLowerInvariant(), slice.ToLowerInvariant()); // a special token written in the text
                continue;
            }

            string surface = token.Replace("▁", "");
            string normalised = Normalise(slice);
            bool sharesChars = (i > 0 && encoding.Offsets[i - 1].End > start) || (i + 1 < encoding.Length && encoding.Offsets[i + 1].Start < end);
            if (sharesChars)
            {
                // One original char expanded into chars of two tokens (ﬁ → f i): the slice holds more than the token.
                Assert.Contains(surface, normalised);
            }
            else
            {
                Assert.True(surface == normalised, $"token {i} '{token}' of '{text}' has slice '{slice}' ({start}, {end}) normalising to '{normalised}'");
            }
        }
    }

    /// <summary>The slice through the same pre-processing and normalisation, without the space symbols.</summary>
    private static string Normalise(string slice)
    {
        var preprocessed = new AlignedText();
        new AlbertPreprocessor(lowerCase: true, removeSpace: true, keepAccents: false).Process(slice, 0, slice.Length, preprocessed);
        var normalized = new AlignedText();
        Normalizer.Value.Normalize(preprocessed, normalized);
        return normalized.Chars.ToString().Replace("▁", "");
    }
}
