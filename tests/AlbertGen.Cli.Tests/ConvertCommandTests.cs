using AlbertGen.Checkpoints;
using AlbertGen.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Cli.Tests;

/// <summary><c>albertgen convert</c> writes a PyTorch, Flax or TF checkpoint as safetensors, completely or not at all.</summary>
public sealed class ConvertCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new("cli");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private static string Fixture => Path.Combine(SharedFolder.Model("tiny"), "heads", "seqcls-single3");

    /// <summary>A model folder as a hub repository of that format has it: config, tokenizer, weights in <paramref name="format"/>.</summary>
    private string ModelFolder(string format)
    {
        string folder = _temp.NewFolder();
        File.Copy(Path.Combine(Fixture, "config.json"), Path.Combine(folder, "config.json"));
        File.Copy(Path.Combine(SharedFolder.Tokenizer, "spiece.model"), Path.Combine(folder, "spiece.model"));
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Formats", format)))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        return folder;
    }

    private string NewOutput() => Path.Combine(_temp.NewFolder(), "converted");

    private static void AssertSameTensorsAsFixture(string folder)
    {
        using SafetensorsFile expected = SafetensorsFile.Open(Path.Combine(Fixture, "model.safetensors"));
        List<SafetensorsFile> written = Directory.GetFiles(folder, "*.safetensors").Select(SafetensorsFile.Open).ToList();
        try
        {
            Assert.Equal(expected.Tensors.Keys.Order(), written.SelectMany(f => f.Tensors.Keys).Order());
            foreach (SafetensorsFile file in written)
            {
                foreach (string name in file.Tensors.Keys)
                {
                    using var scope = NewDisposeScope();
                    Assert.True(expected.ReadTensor(name).eq(file.ReadTensor(name)).all().ToBoolean(), $"'{name}' differs after conversion");
                }
            }
        }
        finally
        {
            written.ForEach(f => f.Dispose());
        }
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("legacy")]
    [InlineData("sharded")]
    [InlineData("flax")]
    [InlineData("tf")]
    public async Task Each_format_converts_to_the_fixtures_safetensors_with_config_and_tokenizer(string format)
    {
        string output = NewOutput();

        var (code, stdout, error) = await Cli.RunAsync("convert", "--model", ModelFolder(format), "--output", output);

        Assert.True(code == 0, error);
        Assert.Contains("model.safetensors", stdout, StringComparison.Ordinal);
        Assert.Equal(["config.json", "model.safetensors", "spiece.model"], Directory.GetFiles(output).Select(Path.GetFileName).Order());
        AssertSameTensorsAsFixture(output);
    }

    [Fact]
    public async Task Above_the_shard_size_the_output_is_sharded_with_an_index()
    {
        string output = NewOutput();

        var (code, _, error) = await Cli.RunAsync("convert", "--model", ModelFolder("zip"), "--output", output, "--max-shard-size", "20KB");

        Assert.True(code == 0, error);
        string[] shards = Directory.GetFiles(output, "model-*-of-*.safetensors");
        Assert.True(shards.Length > 2, $"{shards.Length} shards");
        foreach (string shard in shards)
        {
            using SafetensorsFile file = SafetensorsFile.Open(shard);
            long data = file.Tensors.Values.Sum(t => t.End - t.Begin);
            Assert.True(data <= 20_000 || file.Tensors.Count == 1, $"{shard}: {data} bytes in {file.Tensors.Count} tensors");
        }

        Assert.True(File.Exists(Path.Combine(output, "model.safetensors.index.json")));
        AssertSameTensorsAsFixture(output);
    }

    [Fact]
    public async Task A_truncated_checkpoint_fails_in_one_line_and_writes_nothing()
    {
        string source = ModelFolder("zip");
        string bin = Path.Combine(source, "pytorch_model.bin");
        File.WriteAllBytes(bin, File.ReadAllBytes(bin)[..5000]);
        string output = NewOutput();

        var (code, _, error) = await Cli.RunAsync("convert", "--model", source, "--output", output);

        Assert.Equal(CliApp.InputError, code);
        Assert.Contains("pytorch_model.bin", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(output));
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(output)!));
    }

    [Fact]
    public async Task A_non_empty_output_folder_is_refused_and_left_alone()
    {
        string output = NewOutput();
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "mine");

        var (code, _, error) = await Cli.RunAsync("convert", "--model", ModelFolder("zip"), "--output", output);

        Assert.Equal(CliApp.InputError, code);
        Assert.Contains("not an empty directory", error, StringComparison.Ordinal);
        Assert.Equal(["keep.txt"], Directory.GetFiles(output).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("zip", "pytorch_model.bin (PyTorch pickle (zip, torch >= 1.6))")]
    [InlineData("legacy", "pytorch_model.bin (PyTorch pickle (legacy, torch < 1.6))")]
    [InlineData("flax", "flax_model.msgpack (Flax msgpack)")]
    [InlineData("tf", "tf_model.h5 (TensorFlow Keras HDF5)")]
    public async Task Info_names_the_format_each_weights_file_was_read_from(string format, string expected)
    {
        var (code, output, error) = await Cli.RunAsync("info", "--model", ModelFolder(format));

        Assert.True(code == 0, error);
        Assert.Contains($"weights      {expected}", output, StringComparison.Ordinal);
    }
}
