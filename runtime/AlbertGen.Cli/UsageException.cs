namespace AlbertGen.Cli;

/// <summary>The command line's arguments are missing, conflicting or out of range (exit code <see cref="CliApp.UsageError"/>).</summary>
/// <param name="message">What to change, naming the option.</param>
internal sealed class UsageException(string message) : Exception(message);
