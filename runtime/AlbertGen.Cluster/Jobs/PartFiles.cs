namespace AlbertGen.Cluster.Jobs;

/// <summary>
/// A shard's files in the output folder: a worker writes its results to a temporary file named after its lease, and
/// only the job, for the current lease, renames it to <c>part-NNNNN.jsonl</c>; so a part is whole and from one lease.
/// </summary>
public static class PartFiles
{
    /// <summary>The temporary file name of a lease's results (hidden, so <c>part-*.jsonl</c> never matches it).</summary>
    public static string TemporaryName(ShardRange shard, string writer, long leaseId)
    {
        ArgumentNullException.ThrowIfNull(shard);
        return $".{shard.PartName}.{writer}-lease{leaseId}.tmp";
    }

    /// <summary>
    /// Renames a current lease's results to the shard's part. Returns false when the temporary file is missing and no
    /// part is there either (nothing to publish). A missing temporary file with the part present is this lease's own
    /// rename done before a crash lost the job's record of it: no other lease can have written the part meanwhile.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="temporaryName"/> is not a plain file name.</exception>
    public static bool Publish(string outputDirectory, ShardRange shard, string temporaryName)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (Path.GetFileName(temporaryName) != temporaryName || !temporaryName.EndsWith(".tmp", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{temporaryName}' is not a temporary part file name.", nameof(temporaryName));
        }

        string temporary = Path.Combine(outputDirectory, temporaryName);
        string part = Path.Combine(outputDirectory, shard.PartName);
        if (File.Exists(temporary))
        {
            File.Move(temporary, part, overwrite: true);
            return true;
        }

        return File.Exists(part);
    }

    /// <summary>Deletes a discarded lease's results, if they are still there.</summary>
    public static void Discard(string outputDirectory, string temporaryName)
    {
        if (Path.GetFileName(temporaryName) == temporaryName && temporaryName.Length > 0)
        {
            File.Delete(Path.Combine(outputDirectory, temporaryName));
        }
    }

    /// <summary>
    /// Deletes the temporary files of leases that will never report (their silo was killed mid-shard), once the job has
    /// ended; a worker that is only late deletes its own when its result is refused.
    /// </summary>
    public static void DeleteLeftovers(string outputDirectory)
    {
        if (!Directory.Exists(outputDirectory))
        {
            return;
        }

        foreach (string file in Directory.EnumerateFiles(outputDirectory, ".part-*.tmp"))
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // Still open on a silo that is writing it late; that silo deletes it when its result is refused.
            }
        }
    }
}
