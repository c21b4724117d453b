using System.Text;
using AlbertGen.Batch;
using AlbertGen.Cluster.Jobs;

namespace AlbertGen.Cluster.Workers;

/// <summary>
/// Runs one shard: reads its byte range, runs its lines through the task and writes the results to a temporary file
/// named after the lease in the output folder. The job renames it to the shard's part only if the lease is still
/// current (<see cref="PartFiles"/>), so a late result of an expired lease never replaces a part, and a reader never sees half of one.
/// </summary>
public static class ShardRunner
{
    /// <summary>Runs the shard; returns the number of lines run and the temporary file's name.</summary>
    /// <param name="task">The loaded task.</param>
    /// <param name="lease">The shard and its job.</param>
    /// <param name="writer">Names the temporary file, so two silos running the same shard never share one.</param>
    /// <param name="heartbeat">Called as the work goes on (after reading, after each result): the worker renews its lease only while it is called.</param>
    /// <param name="cancellationToken">Checked between batches; a cancelled shard leaves no file behind.</param>
    /// <exception cref="JsonlLineException">A line cannot be run; the message names it.</exception>
    public static (int Lines, string TemporaryFile) Run(JsonlTask task, ShardLease lease, string writer, Action heartbeat, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(heartbeat);
        ShardRange shard = lease.Shard;
        List<JsonlLine> lines = JsonlReader.Read(lease.Spec.InputPath, shard.Start, shard.End, shard.FirstLine);
        heartbeat();
        Directory.CreateDirectory(lease.Spec.OutputDirectory);
        string name = PartFiles.TemporaryName(shard, writer, lease.LeaseId);
        string temporary = Path.Combine(lease.Spec.OutputDirectory, name);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var output = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" })
            using (var beating = new HeartbeatWriter(output, heartbeat))
            {
                task.Run(lines, beating, cancellationToken);
                output.Flush();
                stream.Flush(flushToDisk: true);
            }

            return (lines.Count, name);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Passes results through and beats on each line written: a result written is the worker's progress.</summary>
    private sealed class HeartbeatWriter(TextWriter inner, Action heartbeat) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value) => inner.Write(value);

        public override void Write(string? value) => inner.Write(value);

        public override void Write(char[] buffer, int index, int count) => inner.Write(buffer, index, count);

        public override void WriteLine(string? value)
        {
            inner.WriteLine(value);
            heartbeat();
        }

        public override void WriteLine()
        {
            inner.WriteLine();
            heartbeat();
        }

        public override void Flush() => inner.Flush();
    }
}
