namespace AlbertGen.Modeling;

/// <summary>
/// An <see cref="AlbertInputs"/> tensor the model cannot run: missing, of the wrong shape or type.
/// <see cref="ArgumentException.ParamName"/> names the input property.
/// </summary>
public class AlbertInputException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, with the values found and expected.</param>
    /// <param name="paramName">The <see cref="AlbertInputs"/> property concerned.</param>
    public AlbertInputException(string message, string? paramName) : base(message, paramName)
    {
    }
}

/// <summary>An id input (<c>InputIds</c>, <c>TokenTypeIds</c>, <c>PositionIds</c>) holds a value outside its table.</summary>
public sealed class InputIdOutOfRangeException : AlbertInputException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The offending value and the valid range.</param>
    /// <param name="paramName">The <see cref="AlbertInputs"/> property concerned.</param>
    public InputIdOutOfRangeException(string message, string? paramName) : base(message, paramName)
    {
    }
}

/// <summary>The sequence is longer than <c>max_position_embeddings</c>.</summary>
public sealed class SequenceTooLongException : AlbertInputException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The length found and the maximum.</param>
    /// <param name="paramName">The <see cref="AlbertInputs"/> property concerned.</param>
    public SequenceTooLongException(string message, string? paramName) : base(message, paramName)
    {
    }
}

/// <summary>An input's shape does not match the others (for example an attention mask of another length).</summary>
public sealed class InputShapeException : AlbertInputException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The shape found and the shape expected.</param>
    /// <param name="paramName">The <see cref="AlbertInputs"/> property concerned.</param>
    public InputShapeException(string message, string? paramName) : base(message, paramName)
    {
    }
}
