using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Tokenization;

/// <summary>Loading model files: from a path or a stream, and the errors for missing or corrupt ones.</summary>
public sealed class ModelFileTests
{
    [Fact]
    public void Missing_file_names_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-dir", "spiece.model");
        FileNotFoundException error = Assert.Throws<FileNotFoundException>(() => AlbertTokenizer.FromFile(path));
        Assert.Equal(path, error.FileName);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Stream_loads_the_same_tokenizer()
    {
        using FileStream stream = File.OpenRead(Golden.ModelPath);
        AlbertTokenizer tokenizer = AlbertTokenizer.FromStream(stream);
        Assert.Equal(Golden.Cases["t02"].InputIds, tokenizer.EncodeToIds(Golden.Cases["t02"].Text));
    }

    public static TheoryData<string, byte[], string> CorruptModels()
    {
        byte[] good = File.ReadAllBytes(Golden.ModelPath);
        return new TheoryData<string, byte[], string>
        {
            { "empty", [], "empty" },
            { "truncated", good[..(good.Length / 2)], "" },
            { "text", "this is not a model"u8.ToArray(), "" },
            { "zero field", [0x00, 0x01], "" },
            { "no pieces", [0x12, 0x00], "no vocabulary pieces" },
            { "bad wire type", [0x0B], "wire type" },
        };
    }

    [Theory]
    [MemberData(nameof(CorruptModels))]
    public void Corrupt_file_throws_invalid_data_naming_the_file(string name, byte[] bytes, string reason)
    {
        using var temp = new TempDirectory("corrupt");
        string path = temp.File("spiece.model");
        File.WriteAllBytes(path, bytes);
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromFile(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(reason, error.Message);
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Fact]
    public void Corrupt_chars_map_is_reported()
    {
        // A model whose normalizer_spec holds a chars map declaring a trie larger than itself.
        byte[] piece = [0x0A, 0x09, 0x0A, 0x05, .. "<unk>"u8, 0x18, 0x02]; // pieces { piece: "<unk>" type: UNKNOWN }
        byte[] charsMap = [0xFF, 0x00, 0x00, 0x00, 0x01];
        byte[] normalizer = [0x12, (byte)charsMap.Length, .. charsMap];
        byte[] minusOne = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        byte[] trainer = [0xC8, 0x02, .. minusOne, 0xD0, 0x02, .. minusOne]; // bos_id: -1, eos_id: -1
        byte[] model = [.. piece, 0x12, (byte)trainer.Length, .. trainer, 0x1A, (byte)normalizer.Length, .. normalizer];
        var error = Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromStream(new MemoryStream(model), sourceName: "odd.model"));
        Assert.Contains("odd.model", error.Message);
        Assert.Contains("chars map", error.Message);
    }

    [Fact]
    public void Unknown_id_must_name_an_unknown_piece()
    {
        byte[] piece = [0x0A, 0x05, 0x0A, 0x03, .. "abc"u8]; // a normal piece at id 0, the default unk_id
        var error = Assert.Throws<InvalidDataException>(() => AlbertTokenizer.FromStream(new MemoryStream(piece), sourceName: "nounk.model"));
        Assert.Contains("unk_id", error.Message);
    }
}
