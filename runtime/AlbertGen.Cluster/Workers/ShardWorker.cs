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
/// again. Pulling keeps every silo busy whatever its speed. While a shard runs, its lease is renewed as long as the work
/// shows progress (a heartbeat per result). On shutdown (SIGTERM) the running shard stops between batches and
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
    private readonly WorkerTestHooks hooks = WorkerTestHooks.FromEnvironment();

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

            try
            {
                await Run(lease, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The report did not get through in a minute; the lease expires and the shard runs again elsewhere.
                LogReportLost(lease.JobId, lease.Shard.Index, e.Message);
            }
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
        long leaseId = lease.LeaseId;
        var clock = Stopwatch.StartNew();
        var heartbeat = new Heartbeat();
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var working = new CancellationTokenSource();
        Task renewing = RenewWhileWorking(job, lease, heartbeat, lost, working.Token);
        try
        {
            (int lines, string temporary) = await Task.Run(
                () =>
                {
                    heartbeat.Beat();
                    hooks.BeforeShard(index, heartbeat.Beat, stoppingToken);
                    string directory = models.Resolve(lease.Spec.Model).Directory;
                    heartbeat.Beat();
                    JsonlTask task = models.Task(directory, lease.Spec.TaskSettingsJson);
                    heartbeat.Beat();
                    return ShardRunner.Run(task, lease, WriterName(), heartbeat.Beat, lost.Token);
                },
                CancellationToken.None);
            await StopRenewing(working, renewing);
            var done = new ShardDone { Results = lines, Seconds = clock.Elapsed.TotalSeconds, TemporaryFile = temporary };
            if (await Report(() => job.Complete(index, leaseId, done)))
            {
                LogShardDone(lease.JobId, index, lines, clock.Elapsed.TotalSeconds);
            }
            else
            {
                PartFiles.Discard(lease.Spec.OutputDirectory, temporary);
                LogResultDiscarded(lease.JobId, index, leaseId);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await StopRenewing(working, renewing);
            await Report(() => job.Release(index, leaseId, $"{SiloNames.Display(Silo)} stopped during attempt {lease.Attempt}."));
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested)
        {
            await StopRenewing(working, renewing);
            LogLeaseLost(lease.JobId, index, leaseId);
        }
        catch (JsonlLineException e)
        {
            await StopRenewing(working, renewing);
            await Report(() => job.Fail(index, leaseId, new ShardFailure { Message = e.Message, Line = e.Line }));
        }
        catch (Exception e)
        {
            await StopRenewing(working, renewing);
            await Report(() => job.Fail(index, leaseId, new ShardFailure { Message = $"{SiloNames.Display(Silo)}: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}" }));
        }
    }

    /// <summary>
    /// Renews the lease every renewal interval if the worker beat since the last renewal: the heartbeat is the work's,
    /// so a worker stuck in a model call stops renewing and its lease expires, though this silo stays a healthy member.
    /// A refused renewal (the lease expired and the shard went elsewhere) cancels the work.
    /// </summary>
    private async Task RenewWhileWorking(IJobGrain job, ShardLease lease, Heartbeat heartbeat, CancellationTokenSource lost, CancellationToken working)
    {
        long seen = heartbeat.Count;
        while (!working.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(lease.Spec.LeaseRenewal, working);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            long count = heartbeat.Count;
            if (count == seen)
            {
                LogNoProgress(lease.JobId, lease.Shard.Index, lease.Spec.LeaseRenewal.TotalSeconds);
                continue;
            }

            seen = count;
            try
            {
                if (await job.Renew(lease.Shard.Index, lease.LeaseId) is null)
                {
                    lost.Cancel();
                    return;
                }
            }
            catch (Exception e) when (!working.IsCancellationRequested)
            {
                LogRenewFailed(lease.JobId, lease.Shard.Index, e.Message);
            }
        }
    }

    private static async Task StopRenewing(CancellationTokenSource working, Task renewing)
    {
        await working.CancelAsync();
        await renewing;
    }

    /// <summary>
    /// Sends a shard's outcome, retrying while the job grain moves to another silo: a lost report would leave the
    /// shard leased to this live silo for good.
    /// </summary>
    private async Task Report(Func<Task> send) => await Report(async () =>
    {
        await send();
        return true;
    });

    private async Task<T> Report<T>(Func<Task<T>> send)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await send();
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

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId}: shard {Shard}: its outcome could not be reported: {Error}")]
    private partial void LogReportLost(string jobId, int shard, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: shard {Shard}: lease {LeaseId} was no longer current, its result is discarded")]
    private partial void LogResultDiscarded(string jobId, int shard, long leaseId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: shard {Shard}: lease {LeaseId} expired and the shard went elsewhere; stopped working on it")]
    private partial void LogLeaseLost(string jobId, int shard, long leaseId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: shard {Shard}: no progress in the last {Seconds} s, lease not renewed")]
    private partial void LogNoProgress(string jobId, int shard, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: shard {Shard}: renewing the lease failed, retrying at the next renewal: {Error}")]
    private partial void LogRenewFailed(string jobId, int shard, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "reporting a shard failed (try {Attempt}), retrying: {Error}")]
    private partial void LogReportRetry(int attempt, string error);
}

/// <summary>Counts the work's beats; read by the renewal loop on another thread.</summary>
internal sealed class Heartbeat
{
    private long count;

    public long Count => Interlocked.Read(ref count);

    public void Beat() => Interlocked.Increment(ref count);
}
