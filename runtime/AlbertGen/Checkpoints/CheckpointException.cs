namespace AlbertGen.Checkpoints;

/// <summary>
/// A checkpoint that does not fit the model or cannot be used: weights missing (strict loading) or of the wrong shape or
/// type, keys no ALBERT model has, no checkpoint at the path, or a malformed weights file.
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
/// A weights file (or sharded index) that is malformed, truncated or hostile, in any format. Raised before the offending
/// tensor data is allocated or read; nothing is loaded into the model.
/// </summary>
public class CheckpointFormatException : CheckpointException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file.</param>
    /// <param name="problem">What is wrong, naming the tensor or field and what was expected.</param>
    public CheckpointFormatException(string path, string problem) : base($"{path}: {problem}")
    {
        FilePath = path;
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    /// <param name="path">The file.</param>
    /// <param name="problem">What is wrong, naming the tensor or field and what was expected.</param>
    /// <param name="inner">The underlying error.</param>
    public CheckpointFormatException(string path, string problem, Exception inner) : base($"{path}: {problem}", inner)
    {
        FilePath = path;
    }

    /// <summary>The malformed file.</summary>
    public string FilePath { get; }
}

/// <summary>
/// A safetensors file (or sharded index) that is malformed: header length, JSON, dtype, shape, offsets, overlaps or byte
/// counts. Raised before any tensor data is read, so a hostile header cannot make the reader allocate or read out of bounds.
/// </summary>
public sealed class SafetensorsFormatException : CheckpointFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file.</param>
    /// <param name="problem">What is wrong.</param>
    public SafetensorsFormatException(string path, string problem) : base(path, problem)
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    /// <param name="path">The file.</param>
    /// <param name="problem">What is wrong.</param>
    /// <param name="inner">The underlying error.</param>
    public SafetensorsFormatException(string path, string problem, Exception inner) : base(path, problem, inner)
    {
    }
}

/// <summary>
/// A PyTorch pickle that asks for something a state dict never needs: a global outside the allow-list (for example
/// <c>os.system</c> or <c>builtins.eval</c>) or an opcode that constructs arbitrary objects. The pickle is rejected at
/// that opcode: nothing named in it is constructed, imported or run.
/// </summary>
public sealed class UnsafePickleException : CheckpointFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file (and pickle entry).</param>
    /// <param name="problem">What was refused.</param>
    public UnsafePickleException(string path, string problem) : base(path, problem)
    {
    }
}
