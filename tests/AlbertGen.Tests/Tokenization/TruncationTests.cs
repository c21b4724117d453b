using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Tokenization;

/// <summary>Truncation strategies, stride and overflow windows, with HuggingFace's semantics.</summary>
public sealed class TruncationTests
{
    private const string Fox = "The quick brown fox jumps over the lazy dog."; // 23 tokens
    private const string Hello = "Hello world!"; // 5 tokens

    private static AlbertTokenizer Tokenizer => Golden.Tokenizer;

    private static int[] FoxIds => Golden.Cases["t01"].TokenIds;

    private static int[] HelloIds => Golden.Cases["t00"].TokenIds;

    private static int Cls => Tokenizer.ClsTokenId;

    private static int Sep => Tokenizer.SepTokenId;

    [Fact]
    public void Short_input_is_not_truncated()
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 100 };
        Assert.Equal(Golden.Cases["t01"].InputIds, Tokenizer.Encode(Fox, options).InputIds);
    }

    [Fact]
    public void Single_text_keeps_its_head_and_both_special_tokens()
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 10 };
        AlbertEncoding encoding = Tokenizer.Encode(Fox, options);
        Assert.Equal([Cls, .. FoxIds[..8], Sep], encoding.InputIds);
        Assert.Empty(encoding.Overflowing);
    }

    [Fact]
    public void Truncation_uses_the_tokenizer_max_length_by_default()
    {
        AlbertTokenizer tokenizer = AlbertTokenizer.FromFile(Golden.ModelPath, new AlbertTokenizerOptions { MaxLength = 6 });
        AlbertEncoding encoding = tokenizer.Encode(Fox, new AlbertEncodeOptions { Truncation = TruncationStrategy.OnlyFirst });
        Assert.Equal(6, encoding.Length);
    }

    [Fact]
    public void Only_first_truncates_the_first_text_of_a_pair()
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.OnlyFirst, MaxLength = 12 };
        AlbertEncoding encoding = Tokenizer.Encode(Fox, Hello, options);
        Assert.Equal([Cls, .. FoxIds[..4], Sep, .. HelloIds, Sep], encoding.InputIds);
        Assert.Equal([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1], encoding.TokenTypeIds);
    }

    [Fact]
    public void Only_second_truncates_the_second_text_of_a_pair()
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.OnlySecond, MaxLength = 12 };
        AlbertEncoding encoding = Tokenizer.Encode(Hello, Fox, options);
        Assert.Equal([Cls, .. HelloIds, Sep, .. FoxIds[..4], Sep], encoding.InputIds);
    }

    [Fact]
    public void Longest_first_takes_the_difference_from_the_longer_text()
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 20 };
        AlbertEncoding encoding = Tokenizer.Encode(Fox, Hello, options);
        Assert.Equal([Cls, .. FoxIds[..12], Sep, .. HelloIds, Sep], encoding.InputIds);
    }

    [Fact]
    public void Longest_first_on_equal_texts_takes_the_odd_token_from_the_second()
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 20 };
        AlbertEncoding encoding = Tokenizer.Encode(Fox, Fox, options);
        Assert.Equal([Cls, .. FoxIds[..9], Sep, .. FoxIds[..8], Sep], encoding.InputIds);
    }

    [Fact]
    public void Overflow_windows_step_by_window_size_minus_stride()
    {
        var options = new AlbertEncodeOptions
        {
            Truncation = TruncationStrategy.OnlyFirst, MaxLength = 10, Stride = 2, ReturnOverflowingTokens = true,
        };
        AlbertEncoding encoding = Tokenizer.Encode(Fox, options);
        AlbertEncoding[] windows = [encoding, .. encoding.Overflowing];
        Assert.Equal(4, windows.Length);
        Assert.Equal([Cls, .. FoxIds[0..8], Sep], windows[0].InputIds);
        Assert.Equal([Cls, .. FoxIds[6..14], Sep], windows[1].InputIds);
        Assert.Equal([Cls, .. FoxIds[12..20], Sep], windows[2].InputIds);
        Assert.Equal([Cls, .. FoxIds[18..23], Sep], windows[3].InputIds);
    }

    [Fact]
    public void Overflow_windows_keep_offsets_into_the_text()
    {
        var options = new AlbertEncodeOptions
        {
            Truncation = TruncationStrategy.OnlyFirst, MaxLength = 10, Stride = 2, ReturnOverflowingTokens = true,
        };
        AlbertEncoding full = Tokenizer.Encode(Fox);
        AlbertEncoding second = Tokenizer.Encode(Fox, options).Overflowing[0];
        Assert.Equal(full.Offsets.Skip(7).Take(8), second.Offsets.Skip(1).Take(8));
    }

    [Fact]
    public void Only_second_windows_repeat_the_first_text_in_each()
    {
        var options = new AlbertEncodeOptions
        {
            Truncation = TruncationStrategy.OnlySecond, MaxLength = 20, Stride = 4, ReturnOverflowingTokens = true,
        };
        AlbertEncoding encoding = Tokenizer.Encode(Hello, Fox, options);
        AlbertEncoding[] windows = [encoding, .. encoding.Overflowing];
        Assert.Equal(3, windows.Length); // window of 12 fox tokens, step 8: [0,12) [8,20) [16,23)
        Assert.Equal([Cls, .. HelloIds, Sep, .. FoxIds[0..12], Sep], windows[0].InputIds);
        Assert.Equal([Cls, .. HelloIds, Sep, .. FoxIds[8..20], Sep], windows[1].InputIds);
        Assert.Equal([Cls, .. HelloIds, Sep, .. FoxIds[16..23], Sep], windows[2].InputIds);
        Assert.All(windows, w => Assert.Equal(1, w.TokenTypeIds[^1]));
    }

    [Fact]
    public void Overflow_with_longest_first_on_a_pair_is_refused()
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 10, ReturnOverflowingTokens = true };
        Assert.Throws<ArgumentException>(() => Tokenizer.Encode(Fox, Fox, options));
    }

    [Fact]
    public void Stride_as_large_as_the_window_is_refused()
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.OnlyFirst, MaxLength = 10, Stride = 8, ReturnOverflowingTokens = true };
        Assert.Throws<ArgumentException>(() => Tokenizer.Encode(Fox, options));
    }

    [Fact]
    public void Only_second_without_a_pair_is_refused()
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.OnlySecond, MaxLength = 10 };
        Assert.Throws<ArgumentException>(() => Tokenizer.Encode(Fox, options));
    }

    [Fact]
    public void Truncating_a_text_away_entirely_is_refused()
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.OnlySecond, MaxLength = 10 };
        Assert.Throws<ArgumentException>(() => Tokenizer.Encode(Fox, Hello, options));
    }

    [Fact]
    public void Without_special_tokens_the_whole_length_holds_text()
    {
        var options = new AlbertEncodeOptions { AddSpecialTokens = false, Truncation = TruncationStrategy.OnlyFirst, MaxLength = 5 };
        Assert.Equal(FoxIds[..5], Tokenizer.Encode(Fox, options).InputIds);
    }
}
