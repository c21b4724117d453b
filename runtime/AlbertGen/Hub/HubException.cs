using System.Net;

namespace AlbertGen.Hub;

/// <summary>What went wrong while finding or downloading a model: lets a caller choose an exit code or a retry.</summary>
public enum HubErrorKind
{
    /// <summary>The text is not a repo id of the form <c>name</c> or <c>org/name</c>.</summary>
    InvalidRepoId,

    /// <summary>The revision is not a usable branch, tag or commit name.</summary>
    InvalidRevision,

    /// <summary>The model is not (completely) in the local cache, and it may not or could not be downloaded.</summary>
    NotInCache,

    /// <summary>The server refused access (HTTP 401 or 403): a gated or private repository, or a bad token.</summary>
    AccessDenied,

    /// <summary>The server has no such repository, revision or file (HTTP 404).</summary>
    NotFound,

    /// <summary>The server kept failing (HTTP 5xx or 429) after every retry.</summary>
    ServerError,

    /// <summary>The server answered with another unexpected HTTP status.</summary>
    HttpError,

    /// <summary>The connection kept failing or dropping after every retry.</summary>
    NetworkError,

    /// <summary>A downloaded file does not match its checksum or announced length.</summary>
    IntegrityError,

    /// <summary>A downloaded file is not what its name says (for example an HTML page instead of JSON).</summary>
    InvalidContent,

    /// <summary>A file name or header from the server would escape the cache folder.</summary>
    UnsafePath,
}

/// <summary>A failure to find or download a model from the HuggingFace hub or its cache; the message says what to do.</summary>
public sealed class HubException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">What went wrong.</param>
    /// <param name="message">A complete sentence naming the repository, revision and file concerned.</param>
    /// <param name="statusCode">The HTTP status involved, if any.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HubException(HubErrorKind kind, string message, HttpStatusCode? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
    }

    /// <summary>What went wrong.</summary>
    public HubErrorKind Kind { get; }

    /// <summary>The HTTP status the server answered with, when the failure came from one.</summary>
    public HttpStatusCode? StatusCode { get; }
}
