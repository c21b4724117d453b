using AlbertGen.Checkpoints;
using AlbertGen.Tests;
using static TorchSharp.torch;

namespace AlbertGen.Cli.Tests;

/// <summary>
/// <c>--device</c> on every command that runs a model. The tests reference TorchSharp's CPU backend, so <c>cpu</c> and
/// <c>auto</c> run on the CPU and <c>cuda</c> is refused in one line naming the CUDA backend package.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class DeviceOptionTests : IDisposable
{
    private readonly TempDirectory _temp = new("cli");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private static string Text => "to be or not to [MASK]";

    /// <summary>Every command with <c>--device</c>, with the other arguments it requires (never reached: the device is refused first).</summary>
    public static TheoryData<string[]> Commands() => new(
        ["fill-mask", Text],
        ["classify", "a text"],
        ["tag", "a text"],
        ["answer", "--question", "who?", "--context", "the king"],
        ["choose", "--choice", "a", "--choice", "b", "a prompt"],
        ["embed", "a text"],
        ["forward", "--task", "masked-lm", "--inputs", "missing.safetensors", "--output", "unused.safetensors"],
        ["info"],
        ["finetune", "--task", "sequence-classification", "--train", "missing.jsonl", "--output", "unused"],
        ["pretrain", "--corpus", "missing.txt", "--tokenizer", "missing.model", "--config", "missing.json", "--output", "unused"],
        ["serve", "--port", "0"],
        ["cluster", "silo", "--redis", "127.0.0.1:1", "--cluster-id", "c"]);

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Cuda_on_a_cpu_only_machine_is_one_line_naming_the_backend_and_exit_code_1(string[] command)
    {
        var (code, output, error) = await Cli.RunAsync([.. command, "--device", "cuda"]);
        Assert.Equal(CliApp.InputError, code);
        Assert.Equal("", output);
        string line = Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("albertgen: Device \"cuda\" needs CUDA", line);
        Assert.Contains("libtorch-cuda-12.8-linux-x64", line);
    }

    [Fact]
    public async Task A_gpu_index_is_refused_too_and_an_unknown_name_is_a_usage_error()
    {
        var (code, _, error) = await Cli.RunAsync("fill-mask", "--device", "cuda:1", Text);
        Assert.Equal(CliApp.InputError, code);
        Assert.Contains("libtorch-cuda-12.8-linux-x64", error);

        (code, _, error) = await Cli.RunAsync("fill-mask", "--device", "gpu", Text);
        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal("albertgen: --device: Unknown device \"gpu\"; use cpu, cuda, cuda:N or auto.", error.Trim());
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("auto")]
    public async Task Cpu_and_auto_give_what_the_default_gives(string device)
    {
        var (code, expected, error) = await Cli.RunAsync("fill-mask", "--json", Text);
        Assert.True(code == 0, error);
        (code, string output, error) = await Cli.RunAsync("fill-mask", "--json", "--device", device, Text);
        Assert.True(code == 0, error);
        Assert.Equal(expected, output);

        (code, output, error) = await Cli.RunAsync("embed", "--device", device, "--json", "a text");
        Assert.True(code == 0, error);
        Assert.StartsWith("[", output.Trim());
    }

    [Fact]
    public async Task Info_prints_the_device_and_that_cuda_is_not_available()
    {
        var (code, output, error) = await Cli.RunAsync("info", "--device", "auto");
        Assert.True(code == 0, error);
        Assert.Contains("device       cpu; CUDA not available (needs the libtorch-cuda-12.8-linux-x64 backend and an NVIDIA GPU)", output);

        (code, output, error) = await Cli.RunAsync("info", "--json");
        Assert.True(code == 0, error);
        Assert.Contains("\"device\":\"cpu\",\"cuda_available\":false,\"cuda_devices\":0", output);
    }

    [Fact]
    public async Task Forward_on_auto_writes_cpu_outputs()
    {
        string inputs = _temp.NewFile("inputs.safetensors");
        using (var scope = NewDisposeScope())
        {
            SafetensorsWriter.Write(inputs, [new("input_ids", tensor(new long[] { 2, 10, 11, 4, 3 }, [1, 5]))]);
        }

        string output = Path.Combine(Path.GetDirectoryName(inputs)!, "out.safetensors");
        var (code, _, error) = await Cli.RunAsync("forward", "--task", "masked-lm", "--model", SharedFolder.Model("tiny"), "--inputs", inputs, "--output", output, "--device", "auto");
        Assert.True(code == 0, error);
        using SafetensorsFile file = SafetensorsFile.Open(output);
        Assert.Equal([1L, 5, 1000], file.Tensors["logits"].Shape);
    }

    [Fact]
    public async Task Fine_tuning_and_pretraining_run_on_auto()
    {
        string train = _temp.NewFile("train.jsonl");
        File.WriteAllLines(train, Enumerable.Range(0, 4).Select(i => i % 2 == 0 ? """{"text": "the king is here", "label": "royal"}""" : """{"text": "a dog ran by", "label": "common"}"""));
        string tuned = Path.Combine(Path.GetDirectoryName(train)!, "tuned");
        var (code, printed, error) = await Cli.RunAsync(
            "finetune", "--task", "sequence-classification", "--model", TaskModelDirectory.Tiny, "--train", train,
            "--output", tuned, "--epochs", "1", "--batch-size", "4", "--max-seq-length", "16", "--device", "auto");
        Assert.True(code == 0, error);
        Assert.Contains("trained 1 updates", printed);

        string corpus = _temp.NewFile("corpus.txt");
        File.WriteAllLines(corpus, File.ReadLines(Path.Combine(SharedFolder.Root, "corpora", "tinyshakespeare.txt")).Take(60));
        string pretrained = Path.Combine(Path.GetDirectoryName(corpus)!, "pretrained");
        (code, _, error) = await Cli.RunAsync(
            "pretrain", "--corpus", corpus, "--tokenizer", Path.Combine(SharedFolder.Tokenizer, "spiece.model"),
            "--config", Path.Combine(SharedFolder.Model("tiny"), "config.json"), "--output", pretrained, "--steps", "1",
            "--batch-size", "2", "--max-seq-length", "32", "--warmup-steps", "1", "--eval-instances", "2", "--device", "auto");
        Assert.True(code == 0, error);
        Assert.True(File.Exists(Path.Combine(pretrained, "model.safetensors")));
    }
}
