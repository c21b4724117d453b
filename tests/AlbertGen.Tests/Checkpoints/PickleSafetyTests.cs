using System.IO.Compression;
using System.Text;
using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using AlbertGen.Tests.Modeling;

namespace AlbertGen.Tests.Checkpoints;

/// <summary>
/// Hostile pickles are refused at the opcode that names the global or constructs the object, with one line naming it;
/// the command a pickle carries (creating a marker file) never runs.
/// </summary>
public sealed class PickleSafetyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string> HostileGlobals() => new()
    {
        { "posix", "system" },
        { "os", "system" },
        { "builtins", "eval" },
        { "builtins", "exec" },
        { "subprocess", "Popen" },
        { "torch", "load" },
        { "torch._utils", "_rebuild_device_tensor_from_numpy" },
    };

    /// <summary>Protocol 2: GLOBAL module.name, the marker command as a string, TUPLE1, REDUCE, STOP.</summary>
    private static byte[] ReduceGlobal(string module, string name, string argument)
    {
        var bytes = new List<byte> { 0x80, 0x02, (byte)'c' };
        bytes.AddRange(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
        bytes.Add((byte)'X');
        byte[] text = Encoding.UTF8.GetBytes(argument);
        bytes.AddRange(BitConverter.GetBytes(text.Length));
        bytes.AddRange(text);
        bytes.AddRange([0x85, (byte)'R', (byte)'.']);
        return bytes.ToArray();
    }

    /// <summary>Protocol 4: the same through STACK_GLOBAL.</summary>
    private static byte[] ReduceStackGlobal(string module, string name, string argument)
    {
        var bytes = new List<byte> { 0x80, 0x04 };
        foreach (string s in new[] { module, name })
        {
            bytes.Add(0x8c);
            bytes.Add((byte)s.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(s));
        }

        bytes.Add(0x93);
        bytes.Add(0x8c);
        bytes.Add((byte)argument.Length);
        bytes.AddRange(Encoding.ASCII.GetBytes(argument));
        bytes.AddRange([0x85, (byte)'R', (byte)'.']);
        return bytes.ToArray();
    }

    private string WriteZip(string file, byte[] dataPkl)
    {
        string path = _dir.File(file);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (Stream s = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open())
        {
            s.Write(dataPkl);
        }

        using (Stream s = zip.CreateEntry("archive/version", CompressionLevel.NoCompression).Open())
        {
            s.Write("3\n"u8);
        }

        return path;
    }

    private void AssertRefusedAndNothingRan(string checkpoint, string global, string marker)
    {
        using var model = new AlbertModel(TinyModels.Config());
        UnsafePickleException error = Assert.Throws<UnsafePickleException>(() => model.LoadWeights(checkpoint));
        Assert.Contains($"'{global}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was constructed or run", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(File.Exists(marker), $"{marker} exists: the pickle's command ran.");
    }

    [Theory]
    [MemberData(nameof(HostileGlobals))]
    public void A_legacy_pickle_that_reduces_a_forbidden_global_is_refused_and_nothing_runs(string module, string name)
    {
        string marker = _dir.File("pwned");
        string path = _dir.File("pytorch_model.bin");
        File.WriteAllBytes(path, ReduceGlobal(module, name, $"touch {marker}"));

        AssertRefusedAndNothingRan(path, $"{module}.{name}", marker);
        AssertRefusedAndNothingRan(_dir.Path, $"{module}.{name}", marker);
    }

    [Theory]
    [MemberData(nameof(HostileGlobals))]
    public void A_zip_checkpoint_whose_data_pkl_reduces_a_forbidden_global_is_refused_and_nothing_runs(string module, string name)
    {
        string marker = _dir.File("pwned");
        string path = WriteZip("pytorch_model.bin", ReduceStackGlobal(module, name, $"touch {marker}"));

        AssertRefusedAndNothingRan(path, $"{module}.{name}", marker);
    }

    [Fact]
    public void A_forbidden_global_inside_an_otherwise_valid_state_dict_is_refused()
    {
        // {'w': eval('...')}: EMPTY_DICT, key, GLOBAL builtins.eval, arg tuple, REDUCE, SETITEM, STOP.
        var bytes = new List<byte> { 0x80, 0x02, (byte)'}', (byte)'X', 1, 0, 0, 0, (byte)'w', (byte)'c' };
        bytes.AddRange("builtins\neval\n"u8.ToArray());
        bytes.AddRange([(byte)'X', 1, 0, 0, 0, (byte)'1', 0x85, (byte)'R', (byte)'s', (byte)'.']);
        string path = WriteZip("pytorch_model.bin", bytes.ToArray());

        AssertRefusedAndNothingRan(path, "builtins.eval", _dir.File("never"));
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'c', (byte)'c', (byte)'o', (byte)'l', (byte)'l', (byte)'e', (byte)'c', (byte)'t', (byte)'i', (byte)'o', (byte)'n', (byte)'s', (byte)'\n', (byte)'O', (byte)'r', (byte)'d', (byte)'e', (byte)'r', (byte)'e', (byte)'d', (byte)'D', (byte)'i', (byte)'c', (byte)'t', (byte)'\n', (byte)')', 0x81, (byte)'.' }, "NEWOBJ")]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'(', (byte)'i', (byte)'o', (byte)'s', (byte)'\n', (byte)'s', (byte)'y', (byte)'s', (byte)'t', (byte)'e', (byte)'m', (byte)'\n', (byte)'.' }, "INST")]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'(', (byte)'N', (byte)'o', (byte)'.' }, "OBJ")]
    [InlineData(new byte[] { 0x80, 0x02, 0x82, 0x01, (byte)'.' }, "EXT1")]
    public void Opcodes_that_construct_objects_are_refused(byte[] pickle, string opcode)
    {
        string path = _dir.File("pytorch_model.bin");
        File.WriteAllBytes(path, pickle);
        using var model = new AlbertModel(TinyModels.Config());

        UnsafePickleException error = Assert.Throws<UnsafePickleException>(() => model.LoadWeights(path));

        Assert.Contains($"opcode {opcode}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reduce_on_an_allowed_storage_class_is_refused_because_only_functions_are_called()
    {
        string path = WriteZip("pytorch_model.bin", ReduceGlobal("torch", "FloatStorage", "x"));
        using var model = new AlbertModel(TinyModels.Config());

        UnsafePickleException error = Assert.Throws<UnsafePickleException>(() => model.LoadWeights(path));

        Assert.Contains("REDUCE on 'torch.FloatStorage'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_allow_list_is_the_rebuild_functions_OrderedDict_and_the_storage_classes()
    {
        Assert.Equal(
            ["collections.OrderedDict", "torch.BFloat16Storage", "torch.BoolStorage", "torch.ByteStorage", "torch.CharStorage", "torch.DoubleStorage",
             "torch.FloatStorage", "torch.HalfStorage", "torch.IntStorage", "torch.LongStorage", "torch.ShortStorage",
             "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2"],
            RestrictedUnpickler.AllowedGlobals);
    }
}
