using Microsoft.AspNetCore.Http;

namespace AlbertGen.Server.Http;

/// <summary>TEI's error kinds (<c>error_type</c>), each with its HTTP status.</summary>
public static class ErrorTypes
{
    /// <summary>A request that breaks a rule or limit (413: too many inputs, too long; 422: a bad field).</summary>
    public const string Validation = "validation";

    /// <summary>The text could not be tokenised as the route needs (422).</summary>
    public const string Tokenizer = "tokenizer";

    /// <summary>No inputs, or an empty input (400).</summary>
    public const string Empty = "empty";

    /// <summary>More requests in flight than <c>--max-concurrent-requests</c> (429).</summary>
    public const string Overloaded = "overloaded";

    /// <summary>The model failed, or cannot serve the route (424; 400 for a route the model's heads lack).</summary>
    public const string Backend = "backend";

    /// <summary>The model is not loaded yet, or the server is stopping (503).</summary>
    public const string Unhealthy = "unhealthy";
}

/// <summary>A request that ends in a TEI-shaped error: <c>{"error": message, "error_type": type}</c> with <paramref name="status"/>.</summary>
/// <param name="status">The HTTP status.</param>
/// <param name="errorType">One of <see cref="ErrorTypes"/>.</param>
/// <param name="message">What was wrong, naming the field and what was expected.</param>
public sealed class ApiException(int status, string errorType, string message) : Exception(message)
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The <c>error_type</c>.</summary>
    public string ErrorType { get; } = errorType;

    /// <summary>422 validation: a field has a wrong type or value.</summary>
    public static ApiException Invalid(string message) => new(StatusCodes.Status422UnprocessableEntity, ErrorTypes.Validation, message);

    /// <summary>413 validation: too many inputs or too many tokens.</summary>
    public static ApiException TooLarge(string message) => new(StatusCodes.Status413PayloadTooLarge, ErrorTypes.Validation, message);

    /// <summary>400 empty: no inputs or an empty input.</summary>
    public static ApiException Empty(string message) => new(StatusCodes.Status400BadRequest, ErrorTypes.Empty, message);
}
