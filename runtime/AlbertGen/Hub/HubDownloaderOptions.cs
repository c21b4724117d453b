namespace AlbertGen.Hub;

/// <summary>Settings of a <see cref="HubDownloader"/>.</summary>
public sealed class HubDownloaderOptions
{
    /// <summary>
    /// The access token sent as <c>Authorization: Bearer</c> to the endpoint (never to the hosts it redirects to).
    /// <see langword="null"/> means <c>HF_TOKEN</c>, else <c>HUGGING_FACE_HUB_TOKEN</c>, else the file
    /// <c>huggingface-cli login</c> saved; none is needed for public repositories.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>
    /// Whether to use the cache only and never contact a server. <see langword="null"/> means whatever
    /// <c>HF_HUB_OFFLINE</c> says.
    /// </summary>
    public bool? Offline { get; init; }

    /// <summary>How many times one request is tried on server errors (5xx, 429) and dropped connections; at least 1. Default 5.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The wait before the first retry; it doubles with each further one. Default 1 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for response headers, or for the next bytes of a body, before treating the connection as dropped. Default 60 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether snapshot entries are symlinks into <c>blobs/</c> as huggingface_hub makes them (default); when the
    /// OS refuses a symlink, or when this is <see langword="false"/>, the file is copied instead.
    /// </summary>
    public bool UseSymlinks { get; init; } = true;

    /// <summary>Environment lookup; tests replace it so the machine's variables never leak in.</summary>
    internal HubEnvironment Environment { get; init; } = HubEnvironment.Process;
}
