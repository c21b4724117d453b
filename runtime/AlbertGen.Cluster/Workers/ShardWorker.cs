using System.Diagnostics;
using AlbertGen.Batch;
using AlbertGen.Cluster.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace AlbertGen.Cluster.Workers;

/// <summary>
/// A silo's worker: asks the running jobs for a shard, runs it through the silo's loaded model, reports it, and asks
/// again. Pulling keeps every silo busy whatever its speed. On shutdown (SIGTERM) the running shard stops between batches and
/// is given back, so the job hands it to another silo at once instead of waiting for membership to declare this one dead.
/// </summary>
internal sealed partial class ShardWorker(
    IGrainFactory grains,
    ILocalSiloDetails silo,
    ModelCatalog models,
    IOptions<ClusterWorkerOptions> options,
    ILogger<ShardWorker> logger) : BackgroundService
{
    private static readonly TimeSpan ReportRetry = TimeSpan.FromSeconds(1);
    private const int ReportAttempts = 60;
    private readonly Dictionary<string, DateTime> backoff = new(StringComparer.Ordinal);

    private string Silo => silo.SiloAddress.ToParsableString();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            ShardLease? lease = null;
            try
            {
                lease = await NextLease(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogLeaseFailed(e.Message);
            }

            if (lease is null)
            {
                try
                {
                    await Task.Delay(options.Value.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            await Run(lease, stoppingToken);
        }
    }

    private async Task<ShardLease?> NextLease(CancellationToken cancellationToken)
    {
        foreach (string jobId in await grains.GetGrain<IJobRegistryGrain>(0).RunningJobs())
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            if (backoff.TryGetValue(jobId, out DateTime until) && until > DateTime.UtcNow)
            {
                continue;
            }

            IJobGrain job = grains.GetGrain<IJobGrain>(jobId);
            if (await job.GetModel() is not { } model)
            {
                continue;
            }

            string sha256;
            try
            {
                sha256 = await Task.Run(() => models.Resolve(model).Sha256, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await Problem(job, jobId, $"cannot use {model}: {e.Message}");
                continue;
            }

            if (model.Sha256 is not null && model.Sha256 != sha256)
            {
                await Problem(job, jobId, $"its copy of {model} has SHA-256 {sha256}, the job's has {model.Sha256}; it takes none of the job's shards.");
                continue;
            }

            if (await job.Lease(Silo, sha256) is { } lease)
            {
                return lease;
            }
        }

        return null;
    }

    private async Task Problem(IJobGrain job, string jobId, string problem)
    {
        backoff[jobId] = DateTime.UtcNow + options.Value.ProblemBackoff;
        await job.ReportSiloProblem(Silo, problem);
    }

    private async Task Run(ShardLease lease, CancellationToken stoppingToken)
    {
        IJobGrain job = grains.GetGrain<IJobGrain>(lease.JobId);
        int index = lease.Shard.Index;
        var clock = Stopwatch.StartNew();
        try
        {
            int results = await Task.Run(
                () =>
                {
                    string directory = models.Resolve(lease.Spec.Model).Directory;
                    JsonlTask task = models.Task(directory, lease.Spec.TaskSettingsJson);
                    return ShardRunner.Run(task, lease, WriterName(), stoppingToken);
                },
                CancellationToken.None);
            LogShardDone(lease.JobId, index, results, clock.Elapsed.TotalSeconds);
            await Report(() => job.Complete(index, lease.Attempt, new ShardDone { Results = results, Seconds = clock.Elapsed.TotalSeconds }));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await Report(() => job.Release(index, lease.Attempt, $"{SiloNames.Display(Silo)} stopped during attempt {lease.Attempt}."));
        }
        catch (JsonlLineException e)
        {
            await Report(() => job.Fail(index, lease.Attempt, new ShardFailure { Message = e.Message, Line = e.Line }));
        }
        catch (Exception e)
        {
            await Report(() => job.Fail(index, lease.Attempt, new ShardFailure { Message = $"{SiloNames.Display(Silo)}: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}" }));
        }
    }

    /// <summary>
    /// Sends a shard's outcome, retrying while the job grain moves to another silo: a lost report would leave the
    /// shard leased to this live silo for good.
    /// </summary>
    private async Task Report(Func<Task> send)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await send();
                return;
            }
            catch (Exception e) when (attempt < ReportAttempts)
            {
                LogReportRetry(attempt, e.Message);
                await Task.Delay(ReportRetry);
            }
        }
    }

    private string WriterName() => $"{Environment.MachineName}-{silo.SiloAddress.Endpoint.Port}-{silo.SiloAddress.Generation}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "asking for work failed: {Error}")]
    private partial void LogLeaseFailed(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: shard {Shard} done, {Results} results in {Seconds:0.00} s")]
    private partial void LogShardDone(string jobId, int shard, int results, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "reporting a shard failed (try {Attempt}), retrying: {Error}")]
    private partial void LogReportRetry(int attempt, string error);
}
