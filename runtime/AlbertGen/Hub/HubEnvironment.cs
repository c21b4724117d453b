namespace AlbertGen.Hub;

/// <summary>
/// The environment variables huggingface_hub reads, interpreted the same way. Tests pass their own lookup so the
/// machine's variables never leak in.
/// </summary>
internal sealed class HubEnvironment(Func<string, string?> lookup)
{
    /// <summary>The endpoint huggingface_hub uses when <c>HF_ENDPOINT</c> is not set.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>The process's real environment.</summary>
    public static HubEnvironment Process { get; } = new(Environment.GetEnvironmentVariable);

    /// <summary>A variable's value, or <see langword="null"/> when unset or empty.</summary>
    public string? Get(string name) => lookup(name) is { Length: > 0 } value ? value : null;

    /// <summary>
    /// The hub cache folder: <paramref name="cacheDir"/>, else <c>$HF_HUB_CACHE</c> (or the older
    /// <c>$HUGGINGFACE_HUB_CACHE</c>), else <c>$HF_HOME/hub</c>, else <c>$XDG_CACHE_HOME/huggingface/hub</c>, else
    /// <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    public string CacheRoot(string? cacheDir)
    {
        string? explicitRoot = cacheDir is { Length: > 0 } ? cacheDir : Get("HF_HUB_CACHE") ?? Get("HUGGINGFACE_HUB_CACHE");
        return Path.GetFullPath(ExpandHome(explicitRoot ?? Path.Combine(HfHome, "hub")));
    }

    /// <summary>Whether <c>HF_HUB_OFFLINE</c> is set to a true value (1, ON, YES or TRUE, any case).</summary>
    public bool Offline => Get("HF_HUB_OFFLINE")?.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    /// <summary>
    /// The access token: <c>$HF_TOKEN</c>, else the older <c>$HUGGING_FACE_HUB_TOKEN</c>, else the file
    /// <c>huggingface-cli login</c> writes (<c>$HF_TOKEN_PATH</c>, else <c>$HF_HOME/token</c>).
    /// </summary>
    public string? Token
    {
        get
        {
            string? token = Get("HF_TOKEN") ?? Get("HUGGING_FACE_HUB_TOKEN");
            if (token is not null)
            {
                return token.Trim();
            }

            string file = ExpandHome(Get("HF_TOKEN_PATH") ?? Path.Combine(HfHome, "token"));
            return File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } saved ? saved : null;
        }
    }

    /// <summary>The hub's base URL: <c>$HF_ENDPOINT</c>, else https://huggingface.co.</summary>
    public string Endpoint => (Get("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/');

    private string HfHome => ExpandHome(Get("HF_HOME") ?? Path.Combine(Get("XDG_CACHE_HOME") ?? Path.Combine(Home, ".cache"), "huggingface"));

    private string Home => Get("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private string ExpandHome(string path) =>
        path == "~" ? Home
        : path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal) ? Path.Combine(Home, path[2..])
        : path;
}
