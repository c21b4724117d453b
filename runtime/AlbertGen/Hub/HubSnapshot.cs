namespace AlbertGen.Hub;

/// <summary>A model snapshot in the HuggingFace cache: one revision of one repository, as a folder of files.</summary>
/// <param name="Repo">The repository.</param>
/// <param name="Revision">The revision asked for (branch, tag or commit).</param>
/// <param name="Commit">
/// The commit the revision resolved to, which names the snapshot folder; the revision name itself when the server
/// sent no commit id (a plain file server).
/// </param>
/// <param name="Directory">The snapshot folder, <c>{cache}/models--{org}--{name}/snapshots/{commit}</c>.</param>
/// <param name="Files">The files of the snapshot, as '/'-separated paths relative to <paramref name="Directory"/>.</param>
public sealed record HubSnapshot(HubRepoId Repo, string Revision, string Commit, string Directory, IReadOnlyList<string> Files)
{
    /// <summary>The full path of one file of the snapshot.</summary>
    /// <param name="relativePath">A '/'-separated path relative to the snapshot folder, such as <c>config.json</c>.</param>
    /// <returns>The full path.</returns>
    public string GetPath(string relativePath) => Path.Combine(Directory, relativePath.Replace('/', Path.DirectorySeparatorChar));
}
