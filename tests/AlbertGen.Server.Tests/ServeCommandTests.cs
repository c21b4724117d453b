using AlbertGen.Cli;
using AlbertGen.Tests;

namespace AlbertGen.Server.Tests;

/// <summary><c>albertgen serve</c> refuses bad limits with one line and exit code 1, before it listens.</summary>
public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("--max-batch-tokens", "0", "max-batch-tokens must be at least 1, not 0")]
    [InlineData("--max-client-batch-size", "-3", "max-client-batch-size must be at least 1, not -3")]
    [InlineData("--max-batch-padding", "1.5", "max-batch-padding must be between 0 and 1, not 1.5")]
    [InlineData("--port", "70000", "the port must be between 0 and 65535, not 70000")]
    public async Task Bad_limits_are_one_line_errors(string option, string value, string message)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await CliApp.RunAsync(["serve", "--model", TaskModelDirectory.Tiny, option, value], output, error);
        Assert.Equal(CliApp.InputError, code);
        Assert.Equal($"albertgen: {message}.", error.ToString().Trim());
    }
}
