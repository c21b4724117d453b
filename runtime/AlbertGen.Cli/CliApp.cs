using System.CommandLine;
using AlbertGen.Cli.Commands;

namespace AlbertGen.Cli;

/// <summary>
/// The <c>albertgen</c> command line. Runs in-process with any writers, so tests call it directly.
/// Every failure ends as one line on the error writer and a non-zero exit code; <c>--verbose</c> adds the stack trace.
/// </summary>
public static class CliApp
{
    /// <summary>Exit code for bad input (arguments, files, tensors).</summary>
    public const int InputError = 1;

    /// <summary>Exit code for an unexpected internal failure.</summary>
    public const int InternalError = 70;

    /// <summary>Parses <paramref name="args"/>, runs the command and returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Show stack traces of errors.", Recursive = true };
        var context = new CliContext(output, error);
        var root = new RootCommand("albertgen: ALBERT models from HuggingFace checkpoints, in .NET.") { verbose };
        foreach (Command command in CommandCatalog.Create(context))
        {
            root.Subcommands.Add(command);
        }

        ParseResult parsed = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parsed.InvokeAsync(invocation, cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            bool showStack = parsed.GetValue(verbose);
            await error.WriteLineAsync("albertgen: " + CliErrors.Describe(e));
            if (showStack)
            {
                await error.WriteLineAsync(e.ToString());
            }

            return CliErrors.IsInputError(e) ? InputError : InternalError;
        }
    }
}

/// <summary>What every command writes to.</summary>
/// <param name="Output">Results (JSON or text).</param>
/// <param name="Error">Errors and progress.</param>
public sealed record CliContext(TextWriter Output, TextWriter Error);
