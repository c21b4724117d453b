using System.Text;
using AlbertGen.Checkpoints;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Checkpoints;

/// <summary>The safetensors header is untrusted input: every malformation is a precise <see cref="SafetensorsFormatException"/>.</summary>
public sealed class SafetensorsReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Raw(ulong headerLength, byte[] header, byte[] data)
    {
        string path = _dir.File(Guid.NewGuid().ToString("N") + ".safetensors");
        using var stream = System.IO.File.Create(path);
        stream.Write(BitConverter.GetBytes(headerLength));
        stream.Write(header);
        stream.Write(data);
        return path;
    }

    private string WithHeader(string json, int dataBytes = 16)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        return Raw((ulong)header.Length, header, new byte[dataBytes]);
    }

    private static void Rejects(string path, string fragment)
    {
        var ex = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        Assert.Equal(path, ex.FilePath);
    }

    [Fact]
    public void A_file_shorter_than_the_length_prefix_is_rejected()
    {
        string path = _dir.File("short.safetensors");
        System.IO.File.WriteAllBytes(path, [1, 2, 3]);
        Rejects(path, "too short for the 8-byte header length");
    }

    [Fact]
    public void A_20_byte_file_claiming_a_huge_header_is_rejected_without_allocating_it()
    {
        string path = Raw(ulong.MaxValue / 2, new byte[12], []);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Rejects(path, "only 12 bytes follow it");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    [Fact]
    public void A_header_reaching_past_the_end_of_the_file_is_rejected()
    {
        byte[] header = Encoding.UTF8.GetBytes("{}");
        Rejects(Raw(100, header, []), "the header length is 100 bytes but only 2 bytes follow it");
    }

    [Fact]
    public void A_header_above_the_size_limit_is_rejected()
    {
        string path = _dir.File("huge.safetensors");
        using (var stream = System.IO.File.Create(path))
        {
            stream.Write(BitConverter.GetBytes((ulong)SafetensorsFile.MaxHeaderBytes + 1));
            stream.SetLength(SafetensorsFile.MaxHeaderBytes + 64); // sparse: nothing is written
        }

        Rejects(path, "exceeds the");
    }

    [Fact]
    public void Invalid_json_is_rejected() => Rejects(WithHeader("{\"a\": [1,"), "not valid JSON");

    [Fact]
    public void A_header_that_is_not_an_object_is_rejected() => Rejects(WithHeader("[1, 2]"), "must be a JSON object");

    [Fact]
    public void An_unknown_dtype_is_rejected() =>
        Rejects(WithHeader("{\"w\": {\"dtype\": \"F8_E4M3\", \"shape\": [4], \"data_offsets\": [0, 4]}}"), "unsupported dtype 'F8_E4M3'");

    [Fact]
    public void Offsets_outside_the_data_are_rejected() =>
        Rejects(WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [8], \"data_offsets\": [0, 32]}}"), "reach past the 16-byte data section");

    [Fact]
    public void Reversed_or_negative_offsets_are_rejected()
    {
        Rejects(WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}"), "0 ≤ begin ≤ end");
        Rejects(WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}"), "0 ≤ begin ≤ end");
    }

    [Fact]
    public void Overlapping_tensors_are_rejected() =>
        Rejects(
            WithHeader("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}"),
            "overlap");

    [Fact]
    public void A_byte_count_that_does_not_match_the_shape_is_rejected() =>
        Rejects(WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}"), "F32 [3] needs 12 bytes but data_offsets [0, 8] span 8");

    [Fact]
    public void Negative_or_overflowing_shapes_are_rejected()
    {
        Rejects(WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}"), "non-negative integers");
        Rejects(WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 4]}}"), "too many elements");
    }

    [Fact]
    public void Missing_fields_are_rejected()
    {
        Rejects(WithHeader("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}"), "missing string field 'dtype'");
        Rejects(WithHeader("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}"), "missing array field 'shape'");
        Rejects(WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}"), "missing field 'data_offsets'");
    }

    [Fact]
    public void Duplicate_tensor_names_are_rejected() =>
        Rejects(
            WithHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}"),
            "appears twice");

    [Fact]
    public void Metadata_must_map_strings_to_strings() =>
        Rejects(WithHeader("{\"__metadata__\": {\"format\": 1}}"), "__metadata__ entry 'format' must be a string");

    [Fact]
    public void Written_tensors_read_back_bit_for_bit_in_every_dtype()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 4),
            ["f16"] = randn(5).to(ScalarType.Float16),
            ["bf16"] = randn(2, 2, 2).to(ScalarType.BFloat16),
            ["i64"] = tensor(new long[] { -3, long.MaxValue, 0 }),
            ["scalar"] = tensor(2.5f),
            ["empty"] = zeros(0, 3),
        };
        string path = _dir.File("roundtrip.safetensors");
        SafetensorsWriter.Write(path, tensors);

        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(tensors.Keys, file.Tensors.Keys);
        foreach ((string name, Tensor expected) in tensors)
        {
            Tensor actual = file.ReadTensor(name);
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.eq(actual).all().item<bool>(), name);
        }

        ulong headerLength = BitConverter.ToUInt64(System.IO.File.ReadAllBytes(path).AsSpan(0, 8));
        Assert.Equal(0UL, headerLength % 8); // padded like the reference writer
    }

    [Fact]
    public void CopyTo_converts_the_stored_dtype_to_the_destination()
    {
        using var scope = NewDisposeScope();
        Tensor source = randn(4, 3).to(ScalarType.BFloat16);
        string path = _dir.File("bf16.safetensors");
        SafetensorsWriter.Write(path, [new("w", source)]);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Tensor destination = zeros(4, 3);
        file.CopyTo("w", destination);
        Assert.True(destination.eq(source.to(ScalarType.Float32)).all().item<bool>());
    }

    [Fact]
    public void The_fixture_checkpoint_reads_with_its_header_shapes()
    {
        using SafetensorsFile file = SafetensorsFile.Open(System.IO.Path.Combine(SharedFolder.Model("tiny"), "model.safetensors"));
        SafetensorsTensorInfo info = file.Tensors["albert.embeddings.word_embeddings.weight"];
        Assert.Equal(SafetensorsDType.F32, info.DType);
        Assert.Equal([1000L, 16], info.Shape);
    }
}
