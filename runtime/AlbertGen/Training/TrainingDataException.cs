namespace AlbertGen.Training;

/// <summary>A training or evaluation file (or in-memory example) is unusable; the message names the file and line.</summary>
public sealed class TrainingDataException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="location">Where the problem is.</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    public TrainingDataException(SourceLocation location, string problem)
        : base($"{location}: {problem}")
    {
        Location = location;
        Problem = problem;
    }

    /// <summary>Where the problem is.</summary>
    public SourceLocation Location { get; }

    /// <summary>The problem without the location.</summary>
    public string Problem { get; }
}

/// <summary>Where an example came from: a file and 1-based line, or an in-memory list and 0-based index.</summary>
/// <param name="Source">File path, or a name such as <c>train examples</c> for an in-memory list.</param>
/// <param name="Line">1-based line in a file; 0-based index in a list.</param>
/// <param name="IsFile">Whether <see cref="Source"/> is a file.</param>
public sealed record SourceLocation(string Source, int Line, bool IsFile = true)
{
    /// <summary><c>file:line</c> or <c>list[index]</c>.</summary>
    public override string ToString() => IsFile ? $"{Source}:{Line}" : $"{Source}[{Line}]";
}
