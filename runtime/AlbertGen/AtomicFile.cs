namespace AlbertGen;

/// <summary>
/// Writes files so that a reader (a resumed run, a probe, another process) sees the old file or the whole new one, never
/// half of one: the content goes to a temporary file beside the target, which is then renamed over it. The temporary file
/// never outlives the call: it is deleted when the write or the rename fails.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, which is given the temporary file's path.</summary>
    public static void Write(string path, Action<string> write)
    {
        // Unique, so concurrent writers of one target never write into each other's temporary file.
        string temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            write(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Writes <paramref name="contents"/> (UTF-8, no byte-order mark) to <paramref name="path"/>.</summary>
    public static void WriteAllText(string path, string contents) =>
        Write(path, temporary => File.WriteAllText(temporary, contents));
}
