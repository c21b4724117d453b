using System.Diagnostics;
using AlbertGen.Cli;

namespace AlbertGen.Tests.Reliability;

/// <summary>
/// Hostile command lines: every one ends with a non-zero exit code and exactly one line on stderr (no stack trace without
/// <c>--verbose</c>), never an unhandled exception or a crash signal.
/// </summary>
public sealed class HostileCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static void AssertOneLineFailure((int Code, string Output, string Error) result)
    {
        Assert.NotEqual(0, result.Code);
        string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{result.Error}");
        Assert.StartsWith("albertgen: ", lines[0]);
        Assert.DoesNotContain("   at ", result.Error);
    }

    private string Garbage(string name, byte[] bytes)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static TheoryData<string[]> UsageErrors() => new()
    {
        new[] { "--no-such-option" },
        new[] { "no-such-command" },
        new[] { "forward", "--task", "masked-lm" },
        new[] { "forward", "--task", "99999999999999999999999999", "--inputs", "x", "--output", "y" },
        new[] { "info", "--model" },
        new[] { "info", "--json", "--json", "--bogus=" + new string('9', 10000) },
        new[] { "download" },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task Bad_usage_fails_with_one_line(string[] args) => AssertOneLineFailure(await Run(args));

    [Fact]
    public async Task A_missing_model_directory_fails_with_one_line() =>
        AssertOneLineFailure(await Run("info", "--model", _dir.File("does-not-exist")));

    [Fact]
    public async Task A_model_path_with_a_huge_number_fails_with_one_line() =>
        AssertOneLineFailure(await Run("info", "--model", "1e400000000000000000"));

    [Fact]
    public async Task A_garbage_checkpoint_fails_with_one_line()
    {
        string dir = Path.Combine(_dir.Path, "model");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(SharedFolder.Model("tiny"), "config.json"), Path.Combine(dir, "config.json"));
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, (byte)'{', (byte)'}']);
        string inputs = Garbage("inputs.safetensors", [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32]);

        AssertOneLineFailure(await Run("forward", "--task", "masked-lm", "--model", dir, "--inputs", inputs, "--output", _dir.File("out.safetensors")));
    }

    [Fact]
    public async Task Garbage_inputs_fail_with_one_line()
    {
        string inputs = Garbage("inputs.safetensors", [.. "PK\u0003\u0004 this is a zip, not safetensors"u8]);

        AssertOneLineFailure(await Run("forward", "--task", "base", "--model", SharedFolder.Model("tiny"), "--inputs", inputs, "--output", _dir.File("out.safetensors")));
    }

    [Fact]
    public async Task A_garbage_config_fails_with_one_line()
    {
        string dir = Path.Combine(_dir.Path, "badconfig");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"hidden_size\": 1e999, \"num_attention_heads\": -3, " + new string('[', 5000));

        AssertOneLineFailure(await Run("info", "--model", dir));
    }

    [Fact]
    public async Task Verbose_adds_the_stack_trace()
    {
        (int code, _, string error) = await Run("info", "--verbose", "--model", _dir.File("does-not-exist"));

        Assert.NotEqual(0, code);
        Assert.True(error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length > 1, error);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task The_real_process_exits_with_code_one_and_no_crash_signal_on_a_garbage_checkpoint()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "AlbertGen.Cli.dll");
        string inputs = Garbage("inputs.safetensors", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2]);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { "exec", cli, "forward", "--task", "base", "--model", SharedFolder.Model("tiny"), "--inputs", inputs, "--output", _dir.File("o.safetensors") })
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        await Task.WhenAll(error, output);

        Assert.Equal(CliApp.InputError, process.ExitCode); // a signal would show as 128 + n
        Assert.Single((await error).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
