using AlbertGen.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Checkpoints;

/// <summary>
/// torch.save files (made by torch 1.13, <c>Formats/special</c>) with float16 and bfloat16 tensors, a transposed view,
/// views at storage offsets, a strided column and two names on one storage read as torch made them contiguous.
/// </summary>
public sealed class PyTorchLayoutTests
{
    [Theory]
    [InlineData("zip")]
    [InlineData("legacy")]
    public void Dtypes_strides_offsets_and_shared_storages_are_honoured(string format)
    {
        string folder = Path.Combine(CheckpointFormatFixtures.Root, "special");
        using SafetensorsFile expected = SafetensorsFile.Open(Path.Combine(folder, "expected.safetensors"));
        using CheckpointSource source = CheckpointSource.Open(Path.Combine(folder, format, "pytorch_model.bin"));
        Assert.Equal(expected.Tensors.Keys.Order(), source.Tensors.Select(t => t.Name).Order());
        foreach (SafetensorsTensorInfo info in expected.Tensors.Values)
        {
            using var scope = NewDisposeScope();
            CheckpointTensorInfo stored = source.Info(info.Name);
            Assert.Equal(info.DType, stored.DType);
            Assert.Equal(info.Shape, stored.Shape);
            Tensor want = expected.ReadTensor(info.Name);
            Tensor same = empty(info.Shape.ToArray(), SafetensorsDTypes.ToScalarType(info.DType));
            source.CopyTo(info.Name, same);
            Assert.True(want.eq(same).all().ToBoolean(), $"{format}: '{info.Name}' as stored");
            Tensor asFloat = zeros(info.Shape.ToArray(), ScalarType.Float32);
            source.CopyTo(info.Name, asFloat);
            Assert.True(want.to_type(ScalarType.Float32).eq(asFloat).all().ToBoolean(), $"{format}: '{info.Name}' as float32");
        }
    }

    [Fact]
    public void The_hand_built_fuzz_seed_loads_so_the_fuzzer_gets_past_parsing()
    {
        string seed = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", "pickle", "seed-zip-one-tensor");
        using var temp = new TempDirectory("seed");
        string path = temp.File("seed.bin");
        File.Copy(seed, path);
        using CheckpointSource source = CheckpointSource.Open(path);
        Assert.Equal([2L, 2L], source.Info("w").Shape);
    }
}
