using System.Text;
using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Tokenization;

/// <summary>No text makes the tokenizer throw; only null arguments do.</summary>
public sealed class HostileInputTests
{
    private static AlbertTokenizer Tokenizer => Golden.Tokenizer;

    public static TheoryData<string> HostileTexts =>
    [
        "",
        "   \t\n  ",
        "\uD800",
        "a\uDC00b\uD800",
        "\uDBFF\uDFFF\uD800",
        "\0\0\0",
        "x\0y\u0001\u0007\u001B[31mz\u007F",
        "東京日本語中文字符",
        "😀😀😀",
        "\u0301\u0301\u0301",
        "\uFFFE\uFFFF\uFDD0",
        "[MASK][MASK][CLS]<pad><unk>",
        "[MASK",
        "▁▁▁",
        "\u200B\u200D\uFEFF",
    ];

    public static TheoryData<string, string> KindsAndHostileTexts
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string kind in new[] { "slow", "fast" })
            {
                foreach (string text in HostileTexts)
                {
                    data.Add(kind, text);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(KindsAndHostileTexts))]
    public void Hostile_text_encodes_decodes_and_slices(string kind, string text)
    {
        AlbertTokenizer tokenizer = kind == "slow" ? Tokenizer : FastGoldenTests.Tokenizer("tokenizer.json");
        AlbertEncoding encoding = tokenizer.Encode(text, text);
        Assert.Equal(encoding.Length, encoding.Offsets.Count);
        Assert.All(encoding.Offsets, o => Assert.InRange(o.End, o.Start, text.Length));
        Assert.All(encoding.InputIds, id => Assert.InRange(id, 0, tokenizer.VocabularySize - 1));
        _ = tokenizer.Decode(encoding.InputIds);
        _ = tokenizer.ConvertTokensToString(encoding.Tokens);
    }

    [Fact]
    public void Lone_surrogates_are_unknown_replacement_characters()
    {
        // SentencePiece turns malformed UTF-8 into U+FFFD without normalising it (a real U+FFFD becomes a space).
        Assert.Equal(["▁a", "\uFFFD", "b"], Tokenizer.Tokenize("a\uD800b"));
        Assert.Equal(Tokenizer.UnknownTokenId, Tokenizer.EncodeToIds("a\uD800b", addSpecialTokens: false)[1]);
        Assert.Equal(["▁a", "▁b"], Tokenizer.Tokenize("a\uFFFDb"));
    }

    [Fact]
    public void Whitespace_only_text_has_no_tokens() => Assert.Empty(Tokenizer.Tokenize(" \t\u00A0\u3000\n "));

    [Fact]
    public void Unknown_only_text_is_one_unknown_token_per_run()
    {
        IReadOnlyList<string> tokens = Tokenizer.Tokenize("東京 日本");
        Assert.Equal(["▁", "東京", "▁", "日本"], tokens);
        Assert.Equal([13, 1, 13, 1], Tokenizer.ConvertTokensToIds(tokens));
    }

    [Fact]
    public void A_megabyte_of_text_encodes()
    {
        var text = new StringBuilder();
        var random = new Random(42);
        string[] words = ["the", "quick", "東京", "1,000,", "naïve", "\0", "😀", "[MASK]", "\uD800", "  "];
        while (text.Length < 1 << 20)
        {
            text.Append(words[random.Next(words.Length)]).Append(' ');
        }

        AlbertEncoding encoding = Tokenizer.Encode(text.ToString());
        Assert.True(encoding.Length > 100_000);
        Assert.InRange(encoding.Offsets[^2].End, 0, text.Length);
    }

    [Fact]
    public void A_megabyte_word_encodes()
    {
        string text = new('a', 1 << 20);
        Assert.True(Tokenizer.Encode(text).Length > 1000);
    }

    [Fact]
    public void Null_arguments_throw_argument_null()
    {
        Assert.Throws<ArgumentNullException>(() => Tokenizer.Encode(null!));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.Tokenize(null!));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodeToIds(null!));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodeBatch((IReadOnlyList<string>)null!));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodeBatch(new string[] { "a", null! }));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.Decode(null!));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.ConvertTokensToString(null!));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.ConvertTokenToId(null!));
    }

    [Fact]
    public void Decoding_an_id_outside_the_vocabulary_throws_out_of_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([5, 1000]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.ConvertIdToToken(-1));
    }
}
