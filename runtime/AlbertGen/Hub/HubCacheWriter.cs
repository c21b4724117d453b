using System.Security.Cryptography;
using System.Text;

namespace AlbertGen.Hub;

/// <summary>
/// Writes one repository's folder of the hub cache as huggingface_hub does: content in <c>blobs/</c> (named by
/// ETag), snapshot entries as relative symlinks to blobs (copies where symlinks are refused), <c>refs/</c> files
/// naming commits, and <c>.no_exist/</c> markers for optional files the repository lacks. Every final name appears
/// by an atomic rename, so a crash never leaves a half-written file under a final name.
/// </summary>
internal sealed class HubCacheWriter(string repoFolder, bool useSymlinks)
{
    public string BlobsFolder => Path.Combine(repoFolder, "blobs");

    public string SnapshotFolder(string snapshotName) => Path.Combine(repoFolder, "snapshots", snapshotName);

    public string BlobPath(string blobName) => Path.Combine(BlobsFolder, blobName);

    /// <summary>Where a download in progress is kept, so that a later attempt or run can resume it.</summary>
    public string IncompletePath(string key)
    {
        Directory.CreateDirectory(BlobsFolder);
        return Path.Combine(BlobsFolder, key + ".incomplete");
    }

    /// <summary>
    /// The blob name for an ETag: the ETag itself when it is a plain token (as the hub's hex digests are), else a
    /// digest of it, so a server's ETag can never form a path.
    /// </summary>
    public static string BlobNameForETag(string etag)
    {
        bool plain = etag.Length is > 0 and <= 128 && etag[0] != '.'
            && etag.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
        return plain ? etag : "etag-" + Sha256Hex(etag);
    }

    /// <summary>A key for the partial download of a file whose server sends no ETag.</summary>
    public static string IncompleteKeyForUrl(Uri url) => "url-" + Sha256Hex(url.AbsoluteUri);

    /// <summary>Moves a verified download into <c>blobs/</c> under its final name.</summary>
    public void CommitBlob(string incompletePath, string blobName) => File.Move(incompletePath, BlobPath(blobName), overwrite: true);

    /// <summary>Makes <c>snapshots/{snapshot}/{file}</c> point at a blob, replacing whatever was there.</summary>
    public void LinkSnapshotFile(string snapshotName, string relativeFile, string blobName)
    {
        string entry = Path.Combine(SnapshotFolder(snapshotName), relativeFile.Replace('/', Path.DirectorySeparatorChar));
        string folder = Path.GetDirectoryName(entry)!;
        Directory.CreateDirectory(folder);
        string blob = BlobPath(blobName);
        AtomicFile.Write(entry, temporary =>
        {
            if (!useSymlinks || !TryCreateSymlink(temporary, Path.GetRelativePath(folder, blob)))
            {
                File.Copy(blob, temporary, overwrite: true);
            }
        });
    }

    /// <summary>Records that an optional file does not exist at a commit (<c>.no_exist/{commit}/{file}</c>, as huggingface_hub does).</summary>
    public void MarkMissing(string snapshotName, string relativeFile)
    {
        string marker = Path.Combine(repoFolder, ".no_exist", snapshotName, relativeFile.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(marker)!);
        File.WriteAllBytes(marker, []);
    }

    /// <summary>Writes <c>refs/{revision}</c> holding the commit (or snapshot name) the revision resolved to.</summary>
    public void WriteRef(string revision, string commit)
    {
        string path = Path.Combine(repoFolder, "refs", revision.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, commit);
    }

    private static bool TryCreateSymlink(string path, string target)
    {
        try
        {
            File.CreateSymbolicLink(path, target);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return false; // Windows without developer mode, or a file system without links: copy instead.
        }
    }

    private static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
