using AlbertGen.Checkpoints;
using AlbertGen.Inference;
using AlbertGen.Inference.Int8;
using TorchSharp;
using static TorchSharp.torch;
using AlbertGen.Training;

namespace AlbertGen.Cli.Tests;

/// <summary>Exit codes: 1 bad input or environment, 2 usage, 70 internal error (a bug), each with one line saying what to do.</summary>
public sealed class ExitCodeTests
{
    public static TheoryData<Exception, int> Failures => new()
    {
        { new FileNotFoundException("missing.json not found"), CliApp.InputError },
        { new InvalidDataException("bad.safetensors: truncated"), CliApp.InputError },
        { new TrainingDataException(new SourceLocation("train.jsonl", 3), "no label"), CliApp.InputError },
        { new CheckpointException("model.safetensors: missing tensor"), CliApp.InputError },
        { new ArgumentException("--top-k must be at least 1"), CliApp.InputError },
        { new AggregateException(new FormatException("line 2: not JSON")), CliApp.InputError },
        { new UsageException("give either the text argument or --input-jsonl, not both."), CliApp.UsageError },
        { new InvalidOperationException("CreateModel has not been called."), CliApp.InternalError },
        { new KeyNotFoundException("no tensor named x"), CliApp.InternalError },
        { new PlatformNotSupportedException("int8 products cannot run here: oneDNN's int8 kernels need at least AVX2."), CliApp.InputError },
        { new NotSupportedException("complex tensors"), CliApp.InternalError },
        { new NullReferenceException(), CliApp.InternalError },
        { new AggregateException(new InvalidOperationException("inner bug")), CliApp.InternalError },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Each_failure_has_its_exit_code_and_one_line(Exception failure, int expected)
    {
        Assert.Equal(expected, CliErrors.ExitCode(failure));
        string line = CliErrors.Describe(failure);
        Assert.DoesNotContain('\n', line);
        if (expected == CliApp.InternalError)
        {
            Assert.StartsWith("internal error (", line);
            Assert.EndsWith("rerun with --verbose and report it", line);
        }
        else
        {
            Assert.DoesNotContain("internal error", line);
        }
    }

    [Fact]
    public void The_library_refusing_int8_on_a_cpu_without_avx2_is_an_environment_error_in_one_line()
    {
        CpuFeatures noAvx2 = CpuFeatures.Current.Restrict(["sse2"]);
        var refusal = Assert.ThrowsAny<Exception>(() =>
            Int8Support.CheckRequest(new InferenceOptions { Int8 = true }, noAvx2, ScalarType.Float32, DeviceType.CPU, mayDeriveWeights: true, []));

        Assert.Equal(CliApp.InputError, CliErrors.ExitCode(refusal));
        string line = CliErrors.Describe(refusal);
        Assert.StartsWith("int8 products cannot run here: ", line);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public async Task A_command_line_that_does_not_parse_is_a_usage_error()
    {
        var (code, output, error) = await Cli.RunAsync("fill-mask", "--top-k");
        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("see 'albertgen fill-mask --help'", error);
    }

    [Fact]
    public async Task A_missing_model_folder_is_an_input_error_naming_the_folder()
    {
        string missing = Path.Combine(Path.GetTempPath(), "albertgen-no-such-model-" + Guid.NewGuid().ToString("N"));
        var (code, _, error) = await Cli.RunAsync("info", "--model", missing);
        Assert.Equal(CliApp.InputError, code);
        Assert.Contains(missing, error);
        Assert.DoesNotContain("internal error", error);
    }
}
