namespace AlbertGen.Cluster.Jobs;

/// <summary>
/// One batch job (keyed by <see cref="JobSpec.JobId"/>): owns the shard table in persisted state, leases shards with
/// deadlines to the silos that ask, takes back shards whose lease expired or whose silo membership declares dead, and
/// gives up a shard after its attempts.
/// </summary>
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts the job; the same spec submitted again attaches to it, finishing whatever a crash left undone of its
    /// submission (spec written, shard table, registration).
    /// </summary>
    /// <exception cref="ArgumentException">The spec is not this grain's (its id differs), is invalid, or differs from the submitted job's in shard size, attempts or lease times.</exception>
    Task<JobProgress> Submit(JobSpec spec);

    /// <summary>The model the job runs, with the hash silos must match; null when the job takes no more shards.</summary>
    Task<ModelReference?> GetModel();

    /// <summary>A pending shard for the silo, or null when none is pending (or the silo's model hash differs).</summary>
    /// <param name="silo">The silo's parsable address.</param>
    /// <param name="modelSha256">The hash of the silo's copy of the job's model.</param>
    Task<ShardLease?> Lease(string silo, string modelSha256);

    /// <summary>A working shard's worker extends its lease; returns the new deadline, or null when the lease is no longer current (it expired and the shard went elsewhere).</summary>
    Task<DateTime?> Renew(int shard, long leaseId);

    /// <summary>
    /// A shard's results are in their temporary file: if the lease is current, the job renames it to the shard's part
    /// and the shard is done (true); a late result of an expired lease is discarded (false), so each part is written by one lease.
    /// </summary>
    Task<bool> Complete(int shard, long leaseId, ShardDone done);

    /// <summary>A shard's attempt failed; it is retried until it has had its attempts.</summary>
    Task Fail(int shard, long leaseId, ShardFailure failure);

    /// <summary>A silo gives a shard back without running it (it is stopping); the attempt is not counted.</summary>
    Task Release(int shard, long leaseId, string reason);

    /// <summary>A silo cannot run the job's shards (model missing, other weights); shown with the job's progress.</summary>
    Task ReportSiloProblem(string silo, string problem);

    /// <summary>Where the job is.</summary>
    Task<JobProgress> GetProgress();

    /// <summary>Starts no more shards; running ones finish or are dropped.</summary>
    Task Cancel();
}

/// <summary>The cluster's list of jobs (one grain, key 0), which silos poll for work and <c>cluster status</c> lists.</summary>
public interface IJobRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Records a job as running.</summary>
    Task Started(string jobId);

    /// <summary>Records a job as ended.</summary>
    Task Ended(string jobId);

    /// <summary>Jobs that may have shards to lease.</summary>
    Task<IReadOnlyList<string>> RunningJobs();

    /// <summary>Every job, oldest first.</summary>
    Task<IReadOnlyList<string>> AllJobs();
}
