namespace AlbertGen.Cluster.Jobs;

/// <summary>Where a job is.</summary>
public enum JobStatus
{
    /// <summary>Not submitted.</summary>
    None,

    /// <summary>Shards are pending or running.</summary>
    Running,

    /// <summary>Every shard has its part.</summary>
    Completed,

    /// <summary>Every shard ran, and at least one failed on each of its attempts (see the shards' errors).</summary>
    Failed,

    /// <summary>Cancelled by <c>cluster cancel</c>; no more shards start.</summary>
    Cancelled,
}

/// <summary>Where a shard is.</summary>
public enum ShardStatus
{
    /// <summary>Waiting for a silo.</summary>
    Pending,

    /// <summary>Leased by a silo.</summary>
    Running,

    /// <summary>Its part is written.</summary>
    Done,

    /// <summary>Given up after its attempts.</summary>
    Failed,
}

/// <summary>
/// The job grain's mutable state, written on every lease and report: kept to a few bytes per shard (status and attempts
/// as byte arrays, details only for running shards and errors) so a job of 50,000 shards writes kilobytes, not megabytes.
/// The spec, written once, is in <see cref="JobSpecState"/>.
/// </summary>
[GenerateSerializer]
public sealed class JobState
{
    /// <summary>Where the job is.</summary>
    [Id(0)] public JobStatus Status { get; set; }

    /// <summary>When the job was submitted (UTC).</summary>
    [Id(1)] public DateTime Submitted { get; set; }

    /// <summary>When the job ended (UTC).</summary>
    [Id(2)] public DateTime? Finished { get; set; }

    /// <summary>The model hash every silo must match (from the spec, or the first silo's).</summary>
    [Id(3)] public string? ModelSha256 { get; set; }

    /// <summary>Problems of silos that could not take the job's shards (model missing, other weights), oldest first.</summary>
    [Id(4)] public List<string> SiloProblems { get; set; } = [];

    /// <summary>Each shard's <see cref="ShardStatus"/>.</summary>
    [Id(5)] public byte[] Shards { get; set; } = [];

    /// <summary>Times each shard was leased; the current lease's number.</summary>
    [Id(6)] public byte[] Attempts { get; set; } = [];

    /// <summary>The silo of each running shard.</summary>
    [Id(7)] public Dictionary<int, ShardLeaseState> Running { get; set; } = [];

    /// <summary>The last error of each shard whose attempt failed or lost its silo.</summary>
    [Id(8)] public Dictionary<int, ShardError> Errors { get; set; } = [];

    /// <summary>Seconds silos spent in finished shards (reading, inference, writing), summed.</summary>
    [Id(9)] public double ShardSeconds { get; set; }

    /// <summary>Times a shard went back to pending to run again: its attempt failed, its silo died or its silo stopped and gave it back.</summary>
    [Id(10)] public int Reruns { get; set; }

    /// <summary>The last lease id given; each lease gets the next, so a late report of an expired lease is told apart.</summary>
    [Id(11)] public long LastLeaseId { get; set; }

    /// <summary>A shard's status.</summary>
    public ShardStatus StatusOf(int shard) => (ShardStatus)Shards[shard];
}

/// <summary>The job grain's spec, written once at submission.</summary>
[GenerateSerializer]
public sealed class JobSpecState
{
    /// <summary>The job's work; null until submitted.</summary>
    [Id(0)] public JobSpec? Spec { get; set; }
}

/// <summary>Who runs a shard, under which lease, until when.</summary>
[GenerateSerializer]
public sealed class ShardLeaseState
{
    /// <summary>The silo's parsable address.</summary>
    [Id(0)] public string Silo { get; set; } = "";

    /// <summary>When the lease was given (UTC).</summary>
    [Id(1)] public DateTime LeasedAt { get; set; }

    /// <summary>The lease's id: only reports quoting it count.</summary>
    [Id(2)] public long LeaseId { get; set; }

    /// <summary>When the lease ends unless its worker renews it (UTC).</summary>
    [Id(3)] public DateTime Deadline { get; set; }
}

/// <summary>Why a shard's last attempt did not finish.</summary>
[GenerateSerializer]
public sealed class ShardError
{
    /// <summary>The error (a line's, naming file and line, or a lost silo's).</summary>
    [Id(0)] public string Message { get; set; } = "";

    /// <summary>The file line the error names, if any.</summary>
    [Id(1)] public int? Line { get; set; }
}
