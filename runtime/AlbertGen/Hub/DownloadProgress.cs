namespace AlbertGen.Hub;

/// <summary>The step a file of a download is at.</summary>
public enum DownloadStage
{
    /// <summary>Asking the server about the file (commit, checksum, size).</summary>
    Resolving,

    /// <summary>Receiving the file's bytes; <see cref="DownloadProgress.BytesTransferred"/> grows.</summary>
    Downloading,

    /// <summary>An attempt failed (see <see cref="DownloadProgress.Message"/>); waiting before the next one, which resumes where it stopped.</summary>
    Retrying,

    /// <summary>Checking the received file's length, content and checksum.</summary>
    Verifying,

    /// <summary>The file is in the cache and linked into the snapshot.</summary>
    Completed,

    /// <summary>The file was already in the cache; nothing was downloaded.</summary>
    AlreadyCached,

    /// <summary>An optional file (such as <c>tokenizer.json</c>) does not exist in the repository; that is fine.</summary>
    NotPresent,
}

/// <summary>One progress report of <see cref="HubDownloader.DownloadAsync"/>, about one file.</summary>
/// <param name="File">The file, as a path in the repository (<c>config.json</c>, <c>model-00001-of-00002.safetensors</c>).</param>
/// <param name="Stage">The step the file is at.</param>
/// <param name="BytesTransferred">Bytes of the file on disk so far (including a resumed part).</param>
/// <param name="TotalBytes">The file's size, when the server announced it.</param>
/// <param name="Message">A human-readable detail, such as the reason for a retry.</param>
public readonly record struct DownloadProgress(
    string File, DownloadStage Stage, long BytesTransferred, long? TotalBytes, string? Message = null);
