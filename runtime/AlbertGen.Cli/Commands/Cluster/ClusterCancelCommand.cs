using System.CommandLine;
using AlbertGen.Cluster.Jobs;

namespace AlbertGen.Cli.Commands.Cluster;

/// <summary><c>albertgen cluster cancel</c>: a job starts no more shards (running ones finish; their parts stay).</summary>
internal static class ClusterCancelCommand
{
    public static Command Create(CliContext context)
    {
        var connection = new ClusterConnectionOptions();
        var job = new Option<string>("--job") { Description = "The job to cancel.", Required = true };
        var command = new Command("cancel", "Cancel a job: no more shards start; finished parts stay.") { job };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string id = parse.GetValue(job)!;
            await using ConnectedClient client = await connection.Connect(parse, cancellationToken);
            if ((await client.Jobs.Progress(id, cancellationToken)).Status == JobStatus.None)
            {
                throw new KeyNotFoundException($"the cluster has no job '{id}'.");
            }

            await client.Jobs.Cancel(id);
            JobProgress progress = await client.Jobs.Progress(id, cancellationToken);
            context.Error.WriteLine($"job {id}: {progress.Status.ToString().ToLowerInvariant()}, {progress.ShardsDone}/{progress.Shards} shards done.");
            return 0;
        });
        return command;
    }
}
