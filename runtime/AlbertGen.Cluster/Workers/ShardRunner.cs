using System.Text;
using AlbertGen.Batch;
using AlbertGen.Cluster.Jobs;

namespace AlbertGen.Cluster.Workers;

/// <summary>
/// Runs one shard: reads its byte range, runs its lines through the task, writes the results to a temporary file in the
/// output folder and renames it to the shard's part. A rerun writes the same part again, and a reader never sees half of one.
/// </summary>
public static class ShardRunner
{
    /// <summary>Runs the shard and returns the number of results written.</summary>
    /// <param name="task">The loaded task.</param>
    /// <param name="lease">The shard and its job.</param>
    /// <param name="writer">Names the temporary file, so two silos running the same shard never share one.</param>
    /// <param name="cancellationToken">Checked between batches; a cancelled shard leaves no file behind.</param>
    /// <exception cref="JsonlLineException">A line cannot be run; the message names it.</exception>
    public static int Run(JsonlTask task, ShardLease lease, string writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(lease);
        ShardRange shard = lease.Shard;
        List<JsonlLine> lines = JsonlReader.Read(lease.Spec.InputPath, shard.Start, shard.End, shard.FirstLine);
        Directory.CreateDirectory(lease.Spec.OutputDirectory);
        string part = Path.Combine(lease.Spec.OutputDirectory, shard.PartName);
        string temporary = Path.Combine(lease.Spec.OutputDirectory, $".{shard.PartName}.{writer}-{lease.Attempt}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var output = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" })
            {
                task.Run(lines, output, cancellationToken);
                output.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, part, overwrite: true);
            return lines.Count;
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
