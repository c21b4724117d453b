namespace AlbertGen.Batch;

/// <summary>A JSON-lines input line that cannot be run: not a JSON object, a field of the wrong type, or an input the model refuses.</summary>
public sealed class JsonlLineException : FormatException
{
    /// <summary>Creates the error; the message is <c>path:line: problem</c>.</summary>
    public JsonlLineException(string path, int line, string problem, Exception? inner = null)
        : base($"{path}:{line}: {problem}", inner)
    {
        Path = path;
        Line = line;
        Problem = problem;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>1-based line number in the file.</summary>
    public int Line { get; }

    /// <summary>What is wrong with the line, without the file and line.</summary>
    public string Problem { get; }
}
