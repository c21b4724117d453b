using System.CommandLine;
using System.Globalization;
using AlbertGen.Cluster.Hosting;
using AlbertGen.Cluster.Jobs;

namespace AlbertGen.Cli.Commands.Cluster;

/// <summary><c>albertgen cluster status</c>: the cluster's silos and jobs, or one job in detail.</summary>
internal static class ClusterStatusCommand
{
    public static Command Create(CliContext context)
    {
        var connection = new ClusterConnectionOptions();
        var job = new Option<string?>("--job") { Description = "Show this job in detail: each running shard's holder, since when and lease deadline; errors; silo problems." };
        var command = new Command("status", "List the cluster's silos and jobs.") { job };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using ConnectedClient client = await connection.Connect(parse, cancellationToken);
            TextWriter output = context.Output;
            if (parse.GetValue(job) is { } id)
            {
                JobProgress progress = await client.Jobs.Progress(id, cancellationToken);
                if (progress.Status == JobStatus.None)
                {
                    throw new KeyNotFoundException($"the cluster has no job '{id}'.");
                }

                output.WriteLine(Row(progress));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  leases: {progress.LeaseTime.TotalSeconds:0.###} s, renewed every {progress.LeaseRenewal.TotalSeconds:0.###} s; job grain on {progress.GrainSilo}"));
                foreach (ShardLeaseRow lease in progress.Leases)
                {
                    output.WriteLine(LeaseLine(lease));
                }

                foreach (string error in progress.Errors)
                {
                    output.WriteLine("  error: " + error);
                }

                foreach (string problem in progress.SiloProblems)
                {
                    output.WriteLine("  silo problem: " + problem);
                }

                return 0;
            }

            IReadOnlyList<SiloRow> silos = await client.Jobs.Silos(cancellationToken);
            output.WriteLine($"silos ({silos.Count(s => s.Status == "Active")} active):");
            foreach (SiloRow silo in silos)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {silo.Endpoint,-22} {silo.Status,-13} {silo.HostName,-20} started {silo.Started:yyyy-MM-dd HH:mm:ss}Z, alive {silo.LastAlive:HH:mm:ss}Z"));
            }

            IReadOnlyList<JobProgress> jobs = await client.Jobs.Jobs(cancellationToken);
            output.WriteLine($"jobs ({jobs.Count}):");
            foreach (JobProgress progress in jobs)
            {
                output.WriteLine("  " + Row(progress));
            }

            return 0;
        });
        return command;
    }

    /// <summary>A running shard's line: who holds it, since when, and its lease's deadline.</summary>
    internal static string LeaseLine(ShardLeaseRow lease) => string.Create(CultureInfo.InvariantCulture,
        $"  shard {lease.Shard,5}  held by {lease.Silo,-22} since {lease.Since:HH:mm:ss}Z  deadline {lease.Deadline:HH:mm:ss.f}Z  lease {lease.LeaseId} (attempt {lease.Attempt})");

    private static string Row(JobProgress p)
    {
        string leases = p.IsFinished ? "" : string.Create(CultureInfo.InvariantCulture, $"  lease {p.LeaseTime.TotalSeconds:0.###}/{p.LeaseRenewal.TotalSeconds:0.###} s");
        string running = p.RunningPerSilo.Count == 0 ? "" : "  running: " + string.Join(", ", p.RunningPerSilo.Select(kv => $"{kv.Key} x{kv.Value}"));
        string problems = p.Errors.Count + p.SiloProblems.Count == 0 ? "" : $"  ({p.Errors.Count} failed shards, {p.SiloProblems.Count} silo problems; --job {p.JobId} shows them)";
        return string.Create(CultureInfo.InvariantCulture,
            $"{p.JobId}  {p.Status.ToString().ToLowerInvariant()}  {p.Task}  lines {p.LinesDone}/{p.TotalLines}  shards {p.ShardsDone}/{p.Shards}  reruns {p.Retries}  submitted {p.Submitted:yyyy-MM-dd HH:mm:ss}Z  {p.InputPath}{leases}{running}{problems}");
    }
}
