namespace AlbertGen.Hub;

/// <summary>
/// Checks file names that come from outside (a server's index file) before they become paths inside a snapshot
/// folder: relative, '/'-separated, no "." or ".." segments, no backslashes, drive letters or control characters.
/// </summary>
internal static class SnapshotFileName
{
    /// <summary>Throws <see cref="HubErrorKind.UnsafePath"/> unless the name stays inside <paramref name="folder"/>.</summary>
    /// <param name="name">The file name as the server wrote it.</param>
    /// <param name="folder">The folder the file will be placed in.</param>
    /// <param name="source">Where the name came from, for the message (for example "model.safetensors.index.json of albert/x@main").</param>
    /// <returns>The full path of the file inside <paramref name="folder"/>.</returns>
    public static string Resolve(string name, string folder, string source)
    {
        string? problem = Check(name);
        string root = Path.GetFullPath(folder);
        string full = Path.GetFullPath(Path.Combine(root, name));
        if (problem is null && !full.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            problem = "it escapes the snapshot folder";
        }

        return problem is null
            ? full
            : throw new HubException(HubErrorKind.UnsafePath, $"Refusing the file name '{name}' from {source}: {problem}.");
    }

    private static string? Check(string name)
    {
        if (name.Length is 0 or > 1024)
        {
            return "expected 1 to 1024 characters";
        }

        if (name.Contains('\\', StringComparison.Ordinal))
        {
            return "backslashes are not allowed";
        }

        if (name.StartsWith('/') || Path.IsPathRooted(name) || name.Contains(':', StringComparison.Ordinal))
        {
            return "absolute paths and drive letters are not allowed";
        }

        foreach (string segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..")
            {
                return "empty, '.' and '..' path segments are not allowed";
            }
        }

        foreach (char c in name)
        {
            if (char.IsControl(c))
            {
                return "control characters are not allowed";
            }
        }

        return null;
    }
}
