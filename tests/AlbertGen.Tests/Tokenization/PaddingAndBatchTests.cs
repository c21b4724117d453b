using AlbertGen.Tokenization;
using TorchSharp;

namespace AlbertGen.Tests.Tokenization;

/// <summary>Padding, batch encoding and tensor conversion.</summary>
public sealed class PaddingAndBatchTests
{
    private static AlbertTokenizer Tokenizer => Golden.Tokenizer;

    private static readonly string[] Texts = ["Hello world!", "x", "The quick brown fox jumps over the lazy dog."];

    [Fact]
    public void Longest_padding_pads_every_row_on_the_right_with_pad()
    {
        AlbertBatchEncoding batch = Tokenizer.EncodeBatch(Texts, new AlbertEncodeOptions { Padding = PaddingStrategy.Longest });
        Assert.All(batch, row => Assert.Equal(25, row.Length));
        AlbertEncoding hello = batch[0];
        Assert.Equal([.. Golden.Cases["t00"].InputIds, .. Enumerable.Repeat(Tokenizer.PadTokenId, 18)], hello.InputIds);
        Assert.Equal([.. Enumerable.Repeat(1, 7), .. Enumerable.Repeat(0, 18)], hello.AttentionMask);
        Assert.Equal(Enumerable.Repeat(0, 25), hello.TokenTypeIds);
        Assert.Equal([1, 0, 0, 0, 0, 0, 1, .. Enumerable.Repeat(1, 18)], hello.SpecialTokensMask);
        Assert.Equal("<pad>", hello.Tokens[^1]);
        Assert.Equal((0, 0), hello.Offsets[^1]);
        Assert.Equal(-1, hello.SequenceIds[^1]);
    }

    [Fact]
    public void Left_padding_puts_pads_first()
    {
        AlbertEncoding row = Tokenizer.EncodeBatch(Texts, new AlbertEncodeOptions { Padding = PaddingStrategy.Longest, PaddingSide = PaddingSide.Left })[1];
        Assert.Equal([.. Enumerable.Repeat(Tokenizer.PadTokenId, 21), .. Golden.Cases["t24"].InputIds], row.InputIds);
        Assert.Equal([.. Enumerable.Repeat(0, 21), 1, 1, 1, 1], row.AttentionMask);
    }

    [Fact]
    public void Max_length_padding_pads_a_single_text()
    {
        AlbertEncoding encoding = Tokenizer.Encode("x", new AlbertEncodeOptions { Padding = PaddingStrategy.MaxLength, MaxLength = 8 });
        Assert.Equal(8, encoding.Length);
        Assert.Equal([1, 1, 1, 1, 0, 0, 0, 0], encoding.AttentionMask);
    }

    [Fact]
    public void Max_length_padding_leaves_longer_text_alone_without_truncation()
    {
        AlbertEncoding encoding = Tokenizer.Encode(Texts[2], new AlbertEncodeOptions { Padding = PaddingStrategy.MaxLength, MaxLength = 8 });
        Assert.Equal(25, encoding.Length);
    }

    [Fact]
    public void Pad_to_multiple_of_rounds_up()
    {
        AlbertBatchEncoding batch = Tokenizer.EncodeBatch(Texts, new AlbertEncodeOptions { Padding = PaddingStrategy.Longest, PadToMultipleOf = 8 });
        Assert.All(batch, row => Assert.Equal(32, row.Length));
    }

    [Fact]
    public void Without_padding_rows_keep_their_lengths()
    {
        AlbertBatchEncoding batch = Tokenizer.EncodeBatch(Texts);
        Assert.Equal([7, 4, 25], batch.Select(r => r.Length));
    }

    [Fact]
    public void Batch_equals_sequential_encoding()
    {
        string[] texts = Golden.Cases.Values.Select(c => c.Text)
            .Concat(File.ReadLines(Path.Combine(SharedFolder.Root, "corpora", "tinyshakespeare.txt")).Take(3000))
            .ToArray();
        AlbertBatchEncoding batch = Tokenizer.EncodeBatch(texts);
        Assert.Equal(texts.Length, batch.Count);
        for (int i = 0; i < texts.Length; i++)
        {
            AlbertEncoding one = Tokenizer.Encode(texts[i]);
            Assert.Equal(one.InputIds, batch[i].InputIds);
            Assert.Equal(one.Tokens, batch[i].Tokens);
            Assert.Equal(one.Offsets, batch[i].Offsets);
        }
    }

    [Fact]
    public void Batch_of_pairs_matches_the_golden_pairs()
    {
        GoldenCase[] pairs = Golden.Cases.Values.Where(c => c.TextPair is not null).ToArray();
        AlbertBatchEncoding batch = Tokenizer.EncodeBatch(pairs.Select(c => (c.Text, c.TextPair)).ToArray());
        for (int i = 0; i < pairs.Length; i++)
        {
            Assert.Equal(pairs[i].InputIds, batch[i].InputIds);
            Assert.Equal(pairs[i].TokenTypeIds, batch[i].TokenTypeIds);
        }
    }

    [Fact]
    public void Batch_overflow_rows_map_back_to_their_sample()
    {
        var options = new AlbertEncodeOptions
        {
            Truncation = TruncationStrategy.OnlyFirst, MaxLength = 10, Stride = 2, ReturnOverflowingTokens = true, Padding = PaddingStrategy.Longest,
        };
        AlbertBatchEncoding batch = Tokenizer.EncodeBatch(Texts, options);
        Assert.Equal([0, 1, 2, 2, 2, 2], batch.OverflowToSampleMapping);
        Assert.All(batch, row => Assert.Equal(10, row.Length));
        Assert.All(batch, row => Assert.Empty(row.Overflowing));
    }

    [Fact]
    public void Tensors_are_int64_batch_by_sequence()
    {
        AlbertBatchEncoding batch = Tokenizer.EncodeBatch(Texts, new AlbertEncodeOptions { Padding = PaddingStrategy.Longest });
        using AlbertInputTensors tensors = batch.ToTensors();
        Assert.Equal([3L, 25L], tensors.InputIds.shape);
        Assert.Equal(torch.ScalarType.Int64, tensors.InputIds.dtype);
        Assert.Equal(torch.ScalarType.Int64, tensors.AttentionMask.dtype);
        Assert.Equal(torch.ScalarType.Int64, tensors.TokenTypeIds.dtype);
        long[] ids = tensors.InputIds.data<long>().ToArray();
        Assert.Equal(batch[1].InputIds.Select(i => (long)i), ids.Skip(25).Take(25));
        Assert.Equal(batch[1].AttentionMask.Sum(), tensors.AttentionMask[1].sum().item<long>());
    }

    [Fact]
    public void Pair_tensor_has_token_types()
    {
        using AlbertInputTensors tensors = Tokenizer.Encode("How old are you?", "I am 6 years old.").ToTensors();
        Assert.Equal(Golden.Cases["p00"].TokenTypeIds.Select(i => (long)i), tensors.TokenTypeIds.data<long>().ToArray());
    }

    [Fact]
    public void Ragged_batch_has_no_tensor_form()
    {
        AlbertBatchEncoding batch = Tokenizer.EncodeBatch(Texts);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => batch.ToTensors());
        Assert.Contains("Padding", error.Message);
    }
}
