using System.IO.Compression;
using System.Text;
using AlbertGen.Checkpoints;
using AlbertGen.Configuration;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Checkpoints;

/// <summary>
/// Truncated, corrupted and lying weights files of every format end in one <see cref="CheckpointFormatException"/> line
/// naming the file and what was expected, before any weight reaches the model.
/// </summary>
public sealed class CheckpointBadInputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string, double> Truncations()
    {
        var data = new TheoryData<string, string, double>();
        foreach ((string format, string file) in new[]
        {
            ("zip", "pytorch_model.bin"), ("legacy", "pytorch_model.bin"), ("sharded", "pytorch_model-00002-of-00002.bin"),
            ("flax", "flax_model.msgpack"), ("tf", "tf_model.h5"),
        })
        {
            foreach (double fraction in new[] { 0.0, 0.01, 0.5, 0.999 })
            {
                data.Add(format, file, fraction);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Truncations))]
    public void A_truncated_file_is_one_clear_error_and_nothing_is_loaded(string format, string file, double fraction)
    {
        string folder = Copy(CheckpointFormatFixtures.Folder("tiny", "pretraining", format));
        string path = Path.Combine(folder, file);
        long length = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength((long)(length * fraction));
        }

        AssertRefusedUntouched(folder, path);
    }

    [Fact]
    public void A_legacy_file_without_torchs_magic_number_is_refused()
    {
        string folder = Copy(CheckpointFormatFixtures.Folder("tiny", "pretraining", "legacy"));
        string path = Path.Combine(folder, "pytorch_model.bin");
        byte[] bytes = File.ReadAllBytes(path);
        bytes[4] ^= 0x55; // inside the LONG1 magic number
        File.WriteAllBytes(path, bytes);

        CheckpointFormatException error = AssertRefusedUntouched(folder, path);
        Assert.Contains("magic number", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void A_damaged_storage_in_a_zip_checkpoint_fails_its_crc_before_anything_loads(double where)
    {
        string folder = Copy(CheckpointFormatFixtures.Folder("tiny", "pretraining", "zip"));
        string path = Path.Combine(folder, "pytorch_model.bin");
        byte[] bytes = File.ReadAllBytes(path);
        bytes[(int)(bytes.Length * where)] ^= 0x01; // inside a storage: the file is almost all tensor data
        File.WriteAllBytes(path, bytes);

        CheckpointFormatException error = AssertRefusedUntouched(folder, path);
        Assert.Contains("is damaged", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zip_whose_central_directory_miscounts_its_entries_is_refused()
    {
        // Found by AFL++ (pickle target): the archive reads its central directory lazily, past the constructor's catch.
        string path = _dir.File("pytorch_model.bin");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", "pickle", "regression-zip-central-directory-count"), path);

        CheckpointFormatException error = AssertRefusedUntouched(_dir.Path, path);
        Assert.Contains("not a readable zip archive", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zip_archive_without_a_data_pkl_is_refused()
    {
        string path = _dir.File("pytorch_model.bin");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            zip.CreateEntry("archive/version");
        }

        CheckpointFormatException error = AssertRefusedUntouched(_dir.Path, path);
        Assert.Contains("data.pkl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_minimal_state_dict_pickle_loads_its_tensor()
    {
        string path = WriteStateDict(storageElements: 4, size: [2, 2], stride: [1, 2], offset: 0, storageBytes: 16);
        using CheckpointSource source = CheckpointSource.Open(path);
        using Tensor target = zeros(2, 2);

        source.CopyTo("w", target);

        // Storage 0,1,2,3 (the bytes written by WriteStateDict) seen with strides (1, 2): [[0, 2], [1, 3]].
        Assert.Equal(new float[] { 0, 2, 1, 3 }, target.data<float>().ToArray());
    }

    [Fact]
    public void A_storage_claiming_more_elements_than_its_bytes_is_refused_before_allocation()
    {
        string path = WriteStateDict(storageElements: 1L << 40, size: [1L << 40], stride: [1], offset: 0, storageBytes: 16);

        CheckpointFormatException error = Assert.Throws<CheckpointFormatException>(() => CheckpointSource.Open(path).Dispose());

        Assert.Contains("should hold 1099511627776 F32 elements", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new long[] { 5 }, new long[] { 1 }, 0L)]
    [InlineData(new long[] { 2, 2 }, new long[] { 3, 1 }, 0L)]
    [InlineData(new long[] { 4 }, new long[] { 1 }, 1L)]
    public void A_view_reaching_past_its_storage_is_refused(long[] size, long[] stride, long offset)
    {
        string path = WriteStateDict(storageElements: 4, size: size, stride: stride, offset: offset, storageBytes: 16);

        CheckpointFormatException error = Assert.Throws<CheckpointFormatException>(() => CheckpointSource.Open(path).Dispose());

        Assert.Contains("tensor 'w'", error.Message, StringComparison.Ordinal);
        Assert.Contains("4-element storage", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_marks_are_refused()
    {
        byte[] pickle = [0x80, 0x02, .. Enumerable.Repeat((byte)'(', RestrictedUnpickler.MaxMarkDepth + 1), (byte)'.'];
        string path = _dir.File("pytorch_model.bin");
        File.WriteAllBytes(path, pickle);

        CheckpointFormatException error = Assert.Throws<CheckpointFormatException>(() => CheckpointSource.Open(path).Dispose());

        Assert.Contains("nested MARKs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_string_longer_than_the_pickle_is_refused_before_allocation()
    {
        byte[] pickle = [0x80, 0x02, (byte)'X', 0xff, 0xff, 0xff, 0x7f, (byte)'.'];
        string path = _dir.File("pytorch_model.bin");
        File.WriteAllBytes(path, pickle);

        CheckpointFormatException error = Assert.Throws<CheckpointFormatException>(() => CheckpointSource.Open(path).Dispose());

        Assert.Contains("runs past the pickle", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A zip checkpoint holding {'w': tensor} on one float32 storage whose bytes are 0, 1, 2, … as floats.</summary>
    private string WriteStateDict(long storageElements, long[] size, long[] stride, long offset, int storageBytes)
    {
        var p = new List<byte> { 0x80, 0x02, (byte)'}' };
        void Str(string s)
        {
            p.Add((byte)'X');
            p.AddRange(BitConverter.GetBytes(Encoding.UTF8.GetByteCount(s)));
            p.AddRange(Encoding.UTF8.GetBytes(s));
        }

        void Long(long v)
        {
            p.Add(0x8a);
            p.Add(8);
            p.AddRange(BitConverter.GetBytes(v));
        }

        void Tuple(long[] values)
        {
            p.Add((byte)'(');
            foreach (long v in values)
            {
                Long(v);
            }

            p.Add((byte)'t');
        }

        Str("w");
        p.AddRange("ctorch._utils\n_rebuild_tensor_v2\n("u8.ToArray());
        p.Add((byte)'(');
        Str("storage");
        p.AddRange("ctorch\nFloatStorage\n"u8.ToArray());
        Str("0");
        Str("cpu");
        Long(storageElements);
        p.AddRange([(byte)'t', (byte)'Q']);
        Long(offset);
        Tuple(size);
        Tuple(stride);
        p.Add(0x89);
        p.AddRange("ccollections\nOrderedDict\n)R"u8.ToArray());
        p.AddRange([(byte)'t', (byte)'R', (byte)'s', (byte)'.']);

        string path = _dir.File("pytorch_model.bin");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (Stream s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open())
        {
            s.Write(p.ToArray());
        }

        using (Stream s = zip.CreateEntry("archive/data/0", CompressionLevel.NoCompression).Open())
        {
            for (int i = 0; i < storageBytes / 4; i++)
            {
                s.Write(BitConverter.GetBytes((float)i));
            }
        }

        return path;
    }

    private string Copy(string folder)
    {
        string target = Path.Combine(_dir.Path, Path.GetFileName(folder));
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(folder))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    private static CheckpointFormatException AssertRefusedUntouched(string folder, string file)
    {
        using var model = new AlbertForPreTraining(AlbertConfigReader.ReadFile(SharedFolder.Model("tiny")));
        using Tensor before = model.named_parameters().First().parameter.detach().clone();

        CheckpointFormatException error = Assert.ThrowsAny<CheckpointFormatException>(() => model.LoadWeights(folder));

        Assert.StartsWith(file, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.True(before.eq(model.named_parameters().First().parameter).all().ToBoolean(), "a weight was loaded from a bad file");
        return error;
    }
}
