using AlbertGen.Batch;
using AlbertGen.Cluster.Jobs;
using Orleans.Runtime;

namespace AlbertGen.Cluster.Hosting;

/// <summary>What <c>cluster run</c> and <c>cluster status</c> do with a connected cluster client.</summary>
public sealed class ClusterJobClient(IClusterClient client)
{
    /// <summary>Calls that fail while a silo is lost (its grains move, the client changes gateway) are retried this long.</summary>
    private static readonly TimeSpan TransientLimit = TimeSpan.FromMinutes(2);

    /// <summary>Splits the input into shards and describes the job (paths made absolute: every silo must reach them).</summary>
    /// <param name="input">The JSON-lines input.</param>
    /// <param name="outputDirectory">The folder for the parts.</param>
    /// <param name="model">The model.</param>
    /// <param name="settings">The task and its options.</param>
    /// <param name="linesPerShard">Lines per shard.</param>
    /// <param name="maxAttempts">Times a shard is started before the job gives it up.</param>
    /// <param name="leaseTime">How long a lease lasts without renewal (default <see cref="JobSpec.DefaultLeaseTime"/>).</param>
    /// <param name="leaseRenewal">How often workers renew (default <see cref="JobSpec.DefaultLeaseRenewal"/>).</param>
    /// <exception cref="FileNotFoundException">The input does not exist.</exception>
    /// <exception cref="ArgumentException">An option is out of range (<see cref="JobSpec.Validate"/>).</exception>
    public static JobSpec Plan(
        string input, string outputDirectory, ModelReference model, JsonlTaskSettings settings, int linesPerShard, int maxAttempts,
        TimeSpan? leaseTime = null, TimeSpan? leaseRenewal = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        string path = Path.GetFullPath(input);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{input}: no such input file.", path);
        }

        if (linesPerShard < 1)
        {
            throw new ArgumentException($"--shard-size must be at least 1, not {linesPerShard}.");
        }

        var spec = new JobSpec
        {
            InputPath = path,
            OutputDirectory = Path.GetFullPath(outputDirectory),
            Model = model,
            TaskSettingsJson = settings.ToJson(),
            Shards = InputSplitter.Split(path, linesPerShard),
            MaxAttempts = maxAttempts,
            LeaseTime = leaseTime ?? JobSpec.DefaultLeaseTime,
            LeaseRenewal = leaseRenewal ?? JobSpec.DefaultLeaseRenewal,
        };
        spec.Validate();
        return spec;
    }

    /// <summary>
    /// Submits the job under its derived id (<see cref="JobSpec.JobId"/>) after claiming its output folder; the same spec
    /// submitted again attaches to the job, resumes a submission a crash cut short, or reports the job's result.
    /// </summary>
    /// <exception cref="ArgumentException">The output folder belongs to another job, or the job exists with other options.</exception>
    public Task<JobProgress> Submit(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        OutputFolderClaim.Claim(spec);
        return Retry(() => client.GetGrain<IJobGrain>(spec.JobId()).Submit(spec), CancellationToken.None);
    }

    /// <summary>Where a job is.</summary>
    public Task<JobProgress> Progress(string jobId, CancellationToken cancellationToken = default) =>
        Retry(() => client.GetGrain<IJobGrain>(jobId).GetProgress(), cancellationToken);

    /// <summary>Stops a job from starting more shards.</summary>
    public Task Cancel(string jobId) => Retry(async () =>
    {
        await client.GetGrain<IJobGrain>(jobId).Cancel();
        return true;
    }, CancellationToken.None);

    /// <summary>Polls a job until it ends, reporting each poll.</summary>
    public async Task<JobProgress> Wait(string jobId, Action<JobProgress> onProgress, TimeSpan interval, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onProgress);
        while (true)
        {
            JobProgress progress = await Progress(jobId, cancellationToken);
            onProgress(progress);
            if (progress.IsFinished || progress.Status == JobStatus.None)
            {
                return progress;
            }

            await Task.Delay(interval, cancellationToken);
        }
    }

    /// <summary>Every job the cluster knows, oldest first.</summary>
    public async Task<IReadOnlyList<JobProgress>> Jobs(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> ids = await Retry(() => client.GetGrain<IJobRegistryGrain>(0).AllJobs(), cancellationToken);
        var jobs = new List<JobProgress>();
        foreach (string id in ids)
        {
            jobs.Add(await Progress(id, cancellationToken));
        }

        return jobs;
    }

    /// <summary>The silos in the membership table, dead ones included (until Orleans cleans them up).</summary>
    public async Task<IReadOnlyList<SiloRow>> Silos(CancellationToken cancellationToken = default)
    {
        MembershipEntry[] hosts = await Retry(() => client.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false), cancellationToken);
        return [.. hosts.OrderBy(h => h.StartTime).Select(h => new SiloRow(h.SiloAddress.Endpoint.ToString(), h.HostName, h.Status.ToString(), h.StartTime, h.IAmAliveTime))];
    }

    private static async Task<T> Retry<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        DateTime giveUp = DateTime.UtcNow + TransientLimit;
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsTransient(e) && DateTime.UtcNow < giveUp && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Failures of a cluster in motion (a silo died with the grain, the gateway went away, Redis restarts), not of the
    /// request; Orleans may wrap them.
    /// </summary>
    private static bool IsTransient(Exception e) =>
        e is OrleansException or TimeoutException or System.Net.Sockets.SocketException or StackExchange.Redis.RedisException
        || (e.InnerException is { } inner && IsTransient(inner));
}

/// <summary>A silo as <c>cluster status</c> lists it.</summary>
/// <param name="Endpoint">host:port of its silo-to-silo endpoint.</param>
/// <param name="HostName">Its machine.</param>
/// <param name="Status">Orleans' membership status (Active, ShuttingDown, Dead, …).</param>
/// <param name="Started">When it started (UTC).</param>
/// <param name="LastAlive">When it last said it was alive (UTC).</param>
public sealed record SiloRow(string Endpoint, string HostName, string Status, DateTime Started, DateTime LastAlive);
