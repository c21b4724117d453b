using System.CommandLine;
using AlbertGen.Cli.Commands;

namespace AlbertGen.Cli;

/// <summary>
/// The <c>albertgen</c> command line. Runs in-process with any writers, so tests call it directly.
/// Every failure ends as one line on the error writer and a non-zero exit code (<see cref="InputError"/>,
/// <see cref="UsageError"/>, <see cref="InternalError"/>); <c>--verbose</c> adds the stack trace.
/// </summary>
public static class CliApp
{
    /// <summary>Exit code for bad input or environment (files, data, tensors, a missing model); the message says what to change.</summary>
    public const int InputError = 1;

    /// <summary>Exit code for a command line that does not parse or whose options conflict.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for an unexpected internal failure (a bug); the message asks for a rerun with <c>--verbose</c> and a report.</summary>
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
        if (parsed.Errors.Count > 0)
        {
            // One line, as for every other error; the full help is one --help away.
            string command = parsed.CommandResult.Command == root ? "albertgen" : "albertgen " + parsed.CommandResult.Command.Name;
            string problems = string.Join(" ", parsed.Errors.Select(e => e.Message.ReplaceLineEndings(" ").Replace("\t", " ", StringComparison.Ordinal)));
            await error.WriteLineAsync($"albertgen: {problems} (see '{command} --help')");
            return UsageError;
        }

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

            return CliErrors.ExitCode(e);
        }
    }
}

/// <summary>What every command writes to.</summary>
/// <param name="Output">Results (JSON or text).</param>
/// <param name="Error">Errors and progress.</param>
public sealed record CliContext(TextWriter Output, TextWriter Error);
