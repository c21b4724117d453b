namespace AlbertGen.Cli;

/// <summary>Turns exceptions into the one-line messages the command line prints.</summary>
internal static class CliErrors
{
    /// <summary>One line: the message of the innermost meaningful exception, without a stack trace.</summary>
    public static string Describe(Exception e)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            e = aggregate.InnerExceptions[0];
        }

        string message = e.Message;
        if (e is ArgumentException { ParamName: { } parameter })
        {
            // The name of a library method's parameter means nothing on the command line.
            message = message.Replace($" (Parameter '{parameter}')", "", StringComparison.Ordinal);
        }

        message = message.ReplaceLineEndings(" ").Trim();
        return IsInputError(e) ? message : $"internal error ({e.GetType().Name}): {message}";
    }

    /// <summary>Whether the exception describes bad input rather than a bug.</summary>
    public static bool IsInputError(Exception e) => e is ArgumentException or IOException or InvalidDataException
        or UnauthorizedAccessException or FormatException or AlbertConfigException or OperationCanceledException
        or NotSupportedException or InvalidOperationException or KeyNotFoundException or System.Text.Json.JsonException
        or Checkpoints.CheckpointException or Hub.HubException or Training.TrainingDataException;
}
