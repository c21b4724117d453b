using System.Buffers.Binary;
using System.Text;
using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;
using AlbertGen.Tokenization;

namespace AlbertGen.Tests.Reliability;

/// <summary>
/// Hostile files: sizes claimed by a file are checked against the file before anything is allocated (hostile pickles:
/// <c>Checkpoints/PickleSafetyTests</c>), and shard names in an index cannot leave the checkpoint's directory.
/// </summary>
[Collection(nameof(Modeling.LiveTensorCount))]
public sealed class HostileFileTests : IDisposable
{
    /// <summary>What refusing a tiny file may allocate: an exception and its message, nothing proportional to a claimed size.</summary>
    private const long AllocationBudget = 256 * 1024;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir.Path, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Safetensors(ulong headerLength, string header, int dataBytes = 0)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    /// <summary>Runs <paramref name="action"/> (expected to throw <typeparamref name="T"/>) and returns the bytes it allocated on this thread.</summary>
    private static long AllocatedWhileFailing<T>(Action action) where T : Exception
    {
        Assert.Throws<T>(action); // warm-up: JIT and first-use statics are not the file's doing
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<T>(action);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    public static TheoryData<string, byte[]> TwentyByteSafetensors() => new()
    {
        { "header length 2^64-1", Safetensors(ulong.MaxValue, "{\"a\":1}\0\0\0\0\0") },
        { "header length 1 GB", Safetensors(1UL << 30, "{\"a\":{\"dty") },
        { "header length 99 MB (under the cap)", Safetensors(99UL << 20, "{\"a\":{\"dty") },
        { "tensor of 2^40 floats", Safetensors(12, "{\"a\":{\"s\":1}") },
    };

    [Theory]
    [MemberData(nameof(TwentyByteSafetensors))]
    public void A_twenty_byte_safetensors_file_is_refused_without_allocating_what_it_claims(string what, byte[] bytes)
    {
        Assert.True(bytes.Length <= 20, what);
        string path = Write("tiny.safetensors", bytes);

        long allocated = AllocatedWhileFailing<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());

        Assert.True(allocated < AllocationBudget, $"{what}: {allocated} bytes allocated");
    }

    [Fact]
    public void A_header_claiming_a_huge_tensor_beyond_the_data_is_refused_before_any_tensor_exists()
    {
        string path = Write("huge.safetensors", Safetensors(
            90, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1048576,1048576],\"data_offsets\":[0,4398046511104]}}        "));
        long tensors = TorchSharp.torch.Tensor.TotalCount;

        long allocated = AllocatedWhileFailing<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());

        Assert.True(allocated < AllocationBudget, $"{allocated} bytes allocated");
        Assert.True(TorchSharp.torch.Tensor.TotalCount <= tensors);
    }

    [Fact]
    public void Loading_a_twenty_byte_checkpoint_into_a_model_allocates_nothing_proportional_to_its_claims()
    {
        using var model = new AlbertModel(TinyModels.Config());
        string dir = Path.Combine(_dir.Path, "model");
        Write(Path.Combine("model", "model.safetensors"), Safetensors(ulong.MaxValue - 7, "{\"x\":0}\0\0\0\0\0"));

        long allocated = AllocatedWhileFailing<SafetensorsFormatException>(() => model.LoadWeights(dir));

        Assert.True(allocated < AllocationBudget, $"{allocated} bytes allocated");
    }

    [Fact]
    public void A_spiece_model_claiming_a_two_gigabyte_field_is_refused_without_allocating_it()
    {
        // Field 1 (pieces), wire type 2, length varint 0xFFFFFFFF7 ≈ 2^35, then a few bytes.
        byte[] bytes = [0x0A, 0xF7, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

        long allocated = AllocatedWhileFailing<InvalidDataException>(() => AlbertTokenizer.FromStream(new MemoryStream(bytes)));

        Assert.True(allocated < AllocationBudget, $"{allocated} bytes allocated");
    }

    [Fact]
    public void A_config_file_larger_than_the_cap_is_refused_without_being_read()
    {
        string path = Path.Combine(_dir.Path, "config.json");
        using (var stream = new FileStream(path, FileMode.Create))
        {
            stream.SetLength(AlbertConfigReader.MaxFileBytes + 1); // sparse: no disk used
        }

        long allocated = AllocatedWhileFailing<AlbertConfigException>(() => AlbertConfigReader.ReadFile(path));

        Assert.True(allocated < AllocationBudget, $"{allocated} bytes allocated");
    }

    [Theory]
    [InlineData("\"../outside.safetensors\"")]
    [InlineData("\"sub/../../outside.safetensors\"")]
    [InlineData("\"sub/model.safetensors\"")]
    [InlineData("\"/tmp/outside.safetensors\"")]
    [InlineData("\"..\"")]
    [InlineData("\".\"")]
    [InlineData("\"\"")]
    [InlineData("7")]
    [InlineData("null")]
    public void Shard_names_in_an_index_cannot_leave_the_checkpoint_directory(string shardJson)
    {
        // A valid shard sits outside the checkpoint directory, so following the name would succeed.
        using var source = new AlbertModel(TinyModels.Config());
        source.Save(Path.Combine(_dir.Path, "elsewhere"));
        File.Copy(Path.Combine(_dir.Path, "elsewhere", "model.safetensors"), Path.Combine(_dir.Path, "outside.safetensors"));
        string index = Write(Path.Combine("ckpt", "model.safetensors.index.json"),
            Encoding.UTF8.GetBytes($"{{\"metadata\":{{}},\"weight_map\":{{\"embeddings.word_embeddings.weight\":{shardJson}}}}}"));

        CheckpointFormatException error = Assert.ThrowsAny<CheckpointFormatException>(() => source.LoadWeights(index));

        Assert.Contains("shard file in the same directory", error.Message);
    }
}
