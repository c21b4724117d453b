using System.Diagnostics.CodeAnalysis;

namespace AlbertGen.Hub;

/// <summary>
/// A HuggingFace hub cache folder, read exactly as huggingface_hub lays it out:
/// <c>models--{org}--{name}/refs/{revision}</c> holds a commit id, <c>snapshots/{commit}/</c> holds the files
/// (usually symlinks into <c>blobs/</c>).
/// </summary>
public sealed class HubCache
{
    /// <summary>Opens the cache at a folder (which need not exist yet).</summary>
    /// <param name="root">The cache folder, the one holding the <c>models--…</c> folders.</param>
    public HubCache(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The cache folder.</summary>
    public string Root { get; }

    /// <summary>
    /// Opens the cache huggingface_hub would use: <paramref name="cacheDir"/>, else <c>$HF_HUB_CACHE</c>, else
    /// <c>$HF_HOME/hub</c>, else <c>$XDG_CACHE_HOME/huggingface/hub</c>, else <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    /// <param name="cacheDir">An explicit cache folder that overrides the environment, or <see langword="null"/>.</param>
    /// <returns>The cache.</returns>
    public static HubCache Open(string? cacheDir = null) => Open(cacheDir, HubEnvironment.Process);

    internal static HubCache Open(string? cacheDir, HubEnvironment environment) => new(environment.CacheRoot(cacheDir));

    /// <summary>The folder of one repository in the cache (which may not exist).</summary>
    /// <param name="repo">The repository.</param>
    /// <returns>The folder path, <c>{Root}/models--{org}--{name}</c>.</returns>
    public string GetRepoFolder(HubRepoId repo)
    {
        ArgumentNullException.ThrowIfNull(repo);
        return Path.Combine(Root, repo.CacheFolderName);
    }

    /// <summary>
    /// Finds a complete ALBERT snapshot (<c>config.json</c>, <c>spiece.model</c> and the weights) for a revision.
    /// </summary>
    /// <param name="repo">The repository.</param>
    /// <param name="revision">A branch or tag name (looked up in <c>refs/</c>) or a commit id.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="HubException">
    /// <see cref="HubErrorKind.NotInCache"/> saying exactly what is missing (the repo folder, the ref, the snapshot
    /// or which files), or <see cref="HubErrorKind.InvalidRevision"/>.
    /// </exception>
    public HubSnapshot ResolveSnapshot(HubRepoId repo, string revision = HubRevision.Main) =>
        TryResolveSnapshot(repo, revision, out var snapshot, out string? problem)
            ? snapshot
            : throw new HubException(HubErrorKind.NotInCache, problem);

    /// <summary>Finds a complete snapshot like <see cref="ResolveSnapshot"/>, without throwing when it is missing.</summary>
    /// <param name="repo">The repository.</param>
    /// <param name="revision">A branch or tag name or a commit id.</param>
    /// <param name="snapshot">The snapshot, when complete.</param>
    /// <param name="problem">What is missing, as a sentence naming the repository and the cache, when not.</param>
    /// <returns>Whether a complete snapshot was found.</returns>
    public bool TryResolveSnapshot(
        HubRepoId repo, string revision, [NotNullWhen(true)] out HubSnapshot? snapshot, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(repo);
        HubRevision.Validate(revision);
        snapshot = null;
        string at = revision == HubRevision.Main ? $"{repo}" : $"{repo} at revision {revision}";
        string repoFolder = GetRepoFolder(repo);
        if (!Directory.Exists(repoFolder))
        {
            problem = $"{at} is not in the HuggingFace cache at {Root} (no folder {repo.CacheFolderName})";
            return false;
        }

        string? commit = ReadRef(repo, revision);
        if (commit is null)
        {
            if (!Directory.Exists(Path.Combine(repoFolder, "snapshots", revision)))
            {
                string known = ListRefs(repoFolder) is { Count: > 0 } refs ? $"; it has refs {string.Join(", ", refs)}" : "";
                problem = $"{at} is not in the HuggingFace cache at {Root}: {repo.CacheFolderName} has no refs/{revision} " +
                    $"and no snapshot named {revision}{known}";
                return false;
            }

            commit = revision;
        }

        string folder = Path.Combine(repoFolder, "snapshots", commit);
        if (!Directory.Exists(folder))
        {
            problem = $"{at} is not complete in the HuggingFace cache at {Root}: refs/{revision} points to commit " +
                $"{commit}, but there is no folder snapshots/{commit}";
            return false;
        }

        var missing = AlbertRepoFiles.FindMissing(folder);
        if (missing.Count > 0)
        {
            problem = $"{at} is not complete in the HuggingFace cache: {folder} lacks {string.Join(", ", missing)}";
            return false;
        }

        snapshot = new HubSnapshot(repo, revision, commit, folder, ListFiles(folder));
        problem = null;
        return true;
    }

    /// <summary>The commit a ref file names, or <see langword="null"/> when there is no such ref.</summary>
    internal string? ReadRef(HubRepoId repo, string revision)
    {
        string path = Path.Combine(GetRepoFolder(repo), "refs", revision);
        if (!File.Exists(path))
        {
            return null;
        }

        string commit = File.ReadAllText(path).Trim();
        HubRevision.Validate(commit);
        return commit;
    }

    internal static IReadOnlyList<string> ListFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static List<string> ListRefs(string repoFolder)
    {
        string refs = Path.Combine(repoFolder, "refs");
        return Directory.Exists(refs)
            ? Directory.EnumerateFiles(refs, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(refs, f).Replace(Path.DirectorySeparatorChar, '/'))
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];
    }
}
