namespace AlbertGen.Cluster.Jobs;

/// <summary>A shard handed to a silo: what to run and the attempt its report must quote.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardLease
{
    /// <summary>The job.</summary>
    [Id(0)] public string JobId { get; init; } = "";

    /// <summary>The job's work.</summary>
    [Id(1)] public JobSpec Spec { get; init; } = new();

    /// <summary>The shard.</summary>
    [Id(2)] public ShardRange Shard { get; init; } = new();

    /// <summary>The attempt number (first run 1), counted against the job's attempts.</summary>
    [Id(3)] public int Attempt { get; init; }

    /// <summary>The lease's id, which every report and renewal quotes; reports of any other lease are discarded.</summary>
    [Id(4)] public long LeaseId { get; init; }

    /// <summary>When the lease ends unless renewed (UTC, the job grain's clock).</summary>
    [Id(5)] public DateTime Deadline { get; init; }
}

/// <summary>What a silo reports for a finished shard.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardDone
{
    /// <summary>Results written (one per non-blank line).</summary>
    [Id(0)] public int Results { get; init; }

    /// <summary>Seconds on the silo: reading the range, inference, writing the part.</summary>
    [Id(1)] public double Seconds { get; init; }

    /// <summary>The results' temporary file in the output folder (a name, no folder), which the job renames to the part if the lease is still current.</summary>
    [Id(2)] public string TemporaryFile { get; init; } = "";
}

/// <summary>What a silo reports for a shard it could not run.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardFailure
{
    /// <summary>The error, naming the file and line when a line is at fault.</summary>
    [Id(0)] public string Message { get; init; } = "";

    /// <summary>The line at fault, if any.</summary>
    [Id(1)] public int? Line { get; init; }
}

/// <summary>A job as <c>cluster run</c> and <c>cluster status</c> show it.</summary>
[GenerateSerializer, Immutable]
public sealed record JobProgress
{
    /// <summary>The job.</summary>
    [Id(0)] public string JobId { get; init; } = "";

    /// <summary>Where the job is.</summary>
    [Id(1)] public JobStatus Status { get; init; }

    /// <summary>Lines in the input, blank ones included.</summary>
    [Id(2)] public long TotalLines { get; init; }

    /// <summary>Lines of finished shards.</summary>
    [Id(3)] public long LinesDone { get; init; }

    /// <summary>Shards in the job.</summary>
    [Id(4)] public int Shards { get; init; }

    /// <summary>Finished shards.</summary>
    [Id(5)] public int ShardsDone { get; init; }

    /// <summary>Running shards per silo address.</summary>
    [Id(6)] public IReadOnlyDictionary<string, int> RunningPerSilo { get; init; } = new Dictionary<string, int>();

    /// <summary>Shards given up, with their errors (each naming its line).</summary>
    [Id(7)] public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>Problems of silos that could not take the job's shards.</summary>
    [Id(8)] public IReadOnlyList<string> SiloProblems { get; init; } = [];

    /// <summary>Times a shard went back to pending to run again (a failed attempt, a dead silo, a silo that stopped and gave it back).</summary>
    [Id(9)] public int Retries { get; init; }

    /// <summary>When the job was submitted (UTC).</summary>
    [Id(10)] public DateTime Submitted { get; init; }

    /// <summary>When the job ended (UTC), if it has.</summary>
    [Id(11)] public DateTime? Finished { get; init; }

    /// <summary>The input file.</summary>
    [Id(12)] public string InputPath { get; init; } = "";

    /// <summary>The task name.</summary>
    [Id(13)] public string Task { get; init; } = "";

    /// <summary>Seconds silos spent in finished shards, summed.</summary>
    [Id(14)] public double ShardSeconds { get; init; }

    /// <summary>How long a lease lasts without renewal.</summary>
    [Id(15)] public TimeSpan LeaseTime { get; init; }

    /// <summary>How often workers renew their leases.</summary>
    [Id(16)] public TimeSpan LeaseRenewal { get; init; }

    /// <summary>The running shards' leases, by shard.</summary>
    [Id(17)] public IReadOnlyList<ShardLeaseRow> Leases { get; init; } = [];

    /// <summary>The silo (host:port) the job grain answered from.</summary>
    [Id(18)] public string GrainSilo { get; init; } = "";

    /// <summary>Whether the job has ended (completed, failed or cancelled).</summary>
    public bool IsFinished => Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled;
}

/// <summary>A running shard's lease as <c>cluster status</c> shows it.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardLeaseRow
{
    /// <summary>The shard.</summary>
    [Id(0)] public int Shard { get; init; }

    /// <summary>The silo (host:port) holding it.</summary>
    [Id(1)] public string Silo { get; init; } = "";

    /// <summary>When it was leased (UTC).</summary>
    [Id(2)] public DateTime Since { get; init; }

    /// <summary>When the lease ends unless renewed (UTC).</summary>
    [Id(3)] public DateTime Deadline { get; init; }

    /// <summary>The lease's id.</summary>
    [Id(4)] public long LeaseId { get; init; }

    /// <summary>The attempt it is.</summary>
    [Id(5)] public int Attempt { get; init; }
}
