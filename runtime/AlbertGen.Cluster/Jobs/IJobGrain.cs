namespace AlbertGen.Cluster.Jobs;

/// <summary>
/// One batch job (keyed by its id): owns the shard table in persisted state, leases shards to the silos that ask,
/// takes back the shards of silos that membership declares dead, and gives up a shard after its attempts.
/// </summary>
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Starts the job, or attaches to it when the same work was submitted before under this id.</summary>
    /// <exception cref="ArgumentException">The id is taken by a job with other work.</exception>
    Task<JobProgress> Submit(JobSpec spec);

    /// <summary>The model the job runs, with the hash silos must match; null when the job takes no more shards.</summary>
    Task<ModelReference?> GetModel();

    /// <summary>A pending shard for the silo, or null when none is pending (or the silo's model hash differs).</summary>
    /// <param name="silo">The silo's parsable address.</param>
    /// <param name="modelSha256">The hash of the silo's copy of the job's model.</param>
    Task<ShardLease?> Lease(string silo, string modelSha256);

    /// <summary>A shard's part is written.</summary>
    Task Complete(int shard, int attempt, ShardDone done);

    /// <summary>A shard's attempt failed; it is retried until it has had its attempts.</summary>
    Task Fail(int shard, int attempt, ShardFailure failure);

    /// <summary>A silo gives a shard back without running it (it is stopping); the attempt is not counted.</summary>
    Task Release(int shard, int attempt, string reason);

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
