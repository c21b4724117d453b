namespace AlbertGen.Checkpoints;

/// <summary>
/// A checkpoint that does not fit the model or cannot be used: weights missing (strict loading) or of the wrong shape or
/// type, keys no ALBERT model has, no checkpoint at the path, or a PyTorch pickle file (never executed).
/// The message names the file and the tensors concerned, with expected and found values.
/// </summary>
public class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming file and tensors.</param>
    public CheckpointException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    /// <param name="message">What is wrong, naming file and tensors.</param>
    /// <param name="inner">The underlying error.</param>
    public CheckpointException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>
/// A safetensors file (or sharded index) that is malformed: header length, JSON, dtype, shape, offsets, overlaps or byte
/// counts. Raised before any tensor data is read, so a hostile header cannot make the reader allocate or read out of bounds.
/// </summary>
public sealed class SafetensorsFormatException : CheckpointException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file.</param>
    /// <param name="problem">What is wrong.</param>
    public SafetensorsFormatException(string path, string problem) : base($"{path}: {problem}")
    {
        FilePath = path;
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    /// <param name="path">The file.</param>
    /// <param name="problem">What is wrong.</param>
    /// <param name="inner">The underlying error.</param>
    public SafetensorsFormatException(string path, string problem, Exception inner) : base($"{path}: {problem}", inner)
    {
        FilePath = path;
    }

    /// <summary>The malformed file.</summary>
    public string FilePath { get; }
}
