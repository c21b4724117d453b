namespace AlbertGen.Cli;

/// <summary>Turns exceptions into the one-line messages and exit codes the command line reports.</summary>
internal static class CliErrors
{
    /// <summary>The exit code for a failure: usage, bad input or environment, or an internal error.</summary>
    public static int ExitCode(Exception e)
    {
        e = Innermost(e);
        return e is UsageException ? CliApp.UsageError : IsInputError(e) ? CliApp.InputError : CliApp.InternalError;
    }

    /// <summary>
    /// One line without a stack trace: for usage and input errors the message (which says what to change); for anything
    /// else the exception type and message, and a request to rerun with <c>--verbose</c> and report it.
    /// </summary>
    public static string Describe(Exception e)
    {
        e = Innermost(e);
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } parameter })
        {
            // The name of a library method's parameter means nothing on the command line.
            message = message.Replace($" (Parameter '{parameter}')", "", StringComparison.Ordinal);
        }

        message = message.ReplaceLineEndings(" ").Trim();
        return ExitCode(e) == CliApp.InternalError
            ? $"internal error ({e.GetType().Name}): {message} — rerun with --verbose and report it"
            : message;
    }

    /// <summary>
    /// Whether the exception describes bad input or environment (arguments, files, data, configs, checkpoints, the hub,
    /// what this machine cannot run) rather than a bug. The library reports those with these types; a refusal of the
    /// environment (int8 products without AVX2, a forced kernel the CPU lacks) is <see cref="PlatformNotSupportedException"/>.
    /// The general-purpose <see cref="InvalidOperationException"/>, <see cref="KeyNotFoundException"/> and
    /// <see cref="NotSupportedException"/> mean a bug here and are reported as internal errors.
    /// </summary>
    public static bool IsInputError(Exception e) => Innermost(e) is ArgumentException or IOException or InvalidDataException
        or UnauthorizedAccessException or FormatException or AlbertConfigException or OperationCanceledException
        or PlatformNotSupportedException
        or System.Text.Json.JsonException or Checkpoints.CheckpointException or Hub.HubException or Training.TrainingDataException;

    private static Exception Innermost(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } aggregate ? Innermost(aggregate.InnerExceptions[0]) : e;
}
