using System.Buffers.Binary;
using AlbertGen.Checkpoints;
using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Fuzz;

/// <summary>One test per crash the fuzzers found, named after the bug; the inputs are also in tests/fuzz/corpus/.</summary>
public sealed class FuzzRegressionTests
{
    private static byte[] Corpus(string target, string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", target, name));

    [Theory]
    [InlineData("regression-invalid-utf8-name")]
    [InlineData("regression-invalid-utf8-metadata")]
    [InlineData("regression-invalid-utf8-dtype")]
    public void Safetensors_header_with_invalid_utf8_is_a_format_error_not_an_InvalidOperationException(string input)
    {
        using var dir = new TempDirectory();
        string path = dir.File("x.safetensors");
        File.WriteAllBytes(path, Corpus("safetensors", input));

        SafetensorsFormatException error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path));

        Assert.Contains("UTF-8", error.Message);
    }

    [Fact]
    public void Safetensors_header_with_invalid_utf8_in_a_tensor_name_is_refused()
    {
        using var dir = new TempDirectory();
        byte[] header = [.. "{\""u8, 0xC3, 0x28, .. "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}"u8];
        var bytes = new byte[8 + header.Length + 1];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(dir.File("x.safetensors"), bytes);

        Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(dir.File("x.safetensors")));
    }

    [Fact]
    public void Spiece_model_with_byte_fallback_but_no_byte_pieces_is_invalid_data_not_an_IndexOutOfRangeException()
    {
        // Found by AFL++ (session 8): the model loaded, and encoding a character outside the vocabulary indexed past
        // ML.Tokenizers' byte table. The sentencepiece library refuses such a model at load; so do we, naming the piece.
        InvalidDataException error = Assert.Throws<InvalidDataException>(
            () => AlbertTokenizer.FromStream(new MemoryStream(Corpus("spiece", "regression-byte-fallback-without-byte-pieces"))));

        Assert.Contains("byte_fallback", error.Message);
        Assert.Contains("<0x", error.Message);
    }

    [Fact]
    public void Spiece_model_with_a_field_number_beyond_int32_is_invalid_data_not_an_OverflowException()
    {
        // Tag varint 0xFFFFFFFFFF >> 3 is far past protobuf's largest field number.
        byte[] bytes = [0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00];

        Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromStream(new MemoryStream(bytes)));
        Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromStream(new MemoryStream(Corpus("spiece", "regression-field-number-overflow"))));
    }

    [Theory]
    [InlineData("regression-offsets-past-text-1")]
    [InlineData("regression-offsets-past-text-2")]
    public void Malformed_model_whose_segmenter_reports_ranges_past_the_text_still_encodes_within_bounds(string input)
    {
        AlbertTokenizer tokenizer = AlbertTokenizer.FromStream(new MemoryStream(Corpus("spiece", input)));

        foreach (string text in new[] { "Hello, world! It's 1,000 km.", "the ab", "  [CLS] a [MASK] b [SEP] " })
        {
            AlbertEncoding encoding = tokenizer.Encode(text);
            Assert.All(encoding.Offsets, o => Assert.InRange(o.End, o.Start, text.Length));
            Assert.Equal(encoding.InputIds, tokenizer.EncodeToIds(text));
        }
    }

    [Theory]
    [InlineData("regression-invalid-utf8-model")]
    [InlineData("regression-invalid-utf8-post-processor")]
    public void Tokenizer_json_with_invalid_utf8_is_invalid_data_naming_the_byte_not_an_InvalidOperationException(string input)
    {
        // Found by AFL++ (tokenizer-json target, 18 inputs, one cause): System.Text.Json checks a string's UTF-8 only when
        // it is read, and threw InvalidOperationException from wherever the reader read it.
        byte[] bytes = Corpus("tokenizer-json", input);
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromStream(new MemoryStream(bytes), sourceName: "tokenizer.json"));

        Assert.Contains("'tokenizer.json' is not valid UTF-8 (byte ", error.Message);
    }

    [Fact]
    public void Tokenizer_json_with_half_a_surrogate_pair_escaped_is_invalid_data_naming_the_field()
    {
        string json = """{"model":{"type":"Unigram","unk_id":1,"vocab":[["<pad>",0],["\ud800",0],["[CLS]",0]]}}""";
        InvalidDataException error = Assert.Throws<InvalidDataException>(
            () => AlbertTokenizer.FromStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)), sourceName: "tokenizer.json"));

        Assert.Contains("model.vocab[1][0] is not valid Unicode text", error.Message);
    }

    [Fact]
    public void Tokenizer_json_whose_template_leaves_out_the_text_is_invalid_data_not_an_encoding_of_null_tokens()
    {
        // Found by AFL++: post_processor.single was [CLS] [SEP] with no Sequence A; encodings held the text's length of
        // id 0 with null tokens, and decoding them threw NullReferenceException.
        InvalidDataException error = Assert.Throws<InvalidDataException>(
            () => AlbertTokenizer.FromStream(new MemoryStream(Corpus("tokenizer-json", "regression-null-token")), sourceName: "tokenizer.json"));

        Assert.Contains("post_processor.single holds Sequence A 0 times", error.Message);
    }
}
