namespace AlbertGen.Hub;

/// <summary>
/// Turns the text of a <c>--model</c> option into a folder of model files: an existing directory is used as it
/// is; otherwise the text must be a hub id (<c>albert/albert-base-v2</c> or <c>albert-base-v2</c>) whose snapshot is
/// in the HuggingFace cache. Never touches the network.
/// </summary>
public static class ModelLocator
{
    /// <summary>Finds a model's folder.</summary>
    /// <param name="model">A directory path, or a hub repo id.</param>
    /// <param name="revision">For a hub id: the branch, tag or commit (default <c>main</c>).</param>
    /// <param name="cacheDir">For a hub id: the cache folder, overriding <c>HF_HUB_CACHE</c>/<c>HF_HOME</c>.</param>
    /// <returns>The model's location.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="revision"/> is null.</exception>
    /// <exception cref="HubException">
    /// <see cref="HubErrorKind.NotInCache"/> naming what is missing and the <c>albertgen download</c> command that
    /// fetches it; <see cref="HubErrorKind.InvalidRepoId"/> when the text is a file, or neither a directory nor a hub id.
    /// </exception>
    public static ModelLocation Locate(string model, string revision = HubRevision.Main, string? cacheDir = null) =>
        Locate(model, revision, cacheDir, HubEnvironment.Process);

    internal static ModelLocation Locate(string model, string revision, string? cacheDir, HubEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(revision);
        if (model.Length > 0 && Directory.Exists(model))
        {
            return new ModelLocation(Path.GetFullPath(model), null);
        }

        if (File.Exists(model))
        {
            throw new HubException(
                HubErrorKind.InvalidRepoId,
                $"'{model}' is a file; pass the directory that holds config.json, the tokenizer (spiece.model or tokenizer.json) and the weights, or a hub repo id.");
        }

        if (!HubRepoId.TryParse(model, out var repo, out string? problem))
        {
            throw new HubException(
                HubErrorKind.InvalidRepoId,
                $"'{model}' is not an existing directory, nor a HuggingFace repo id ({problem}).");
        }

        var cache = HubCache.Open(cacheDir, environment);
        if (cache.TryResolveSnapshot(repo, revision, out var snapshot, out string? missing))
        {
            return new ModelLocation(snapshot.Directory, snapshot);
        }

        string command = revision == HubRevision.Main ? $"albertgen download {repo}" : $"albertgen download {repo} --revision {revision}";
        throw new HubException(HubErrorKind.NotInCache, $"{missing}; run `{command}`.");
    }
}
