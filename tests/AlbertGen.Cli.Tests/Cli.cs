using AlbertGen.Cli;

namespace AlbertGen.Cli.Tests;

/// <summary>Runs <c>albertgen</c> in-process and captures what it prints.</summary>
internal static class Cli
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The shipped default model (models/shakespeare), copied beside the command line by the build.</summary>
    public static string DefaultModelFolder => Path.Combine(AppContext.BaseDirectory, "default-model");
}
