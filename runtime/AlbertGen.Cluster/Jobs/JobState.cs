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

/// <summary>The job grain's persisted state.</summary>
[GenerateSerializer]
public sealed class JobState
{
    /// <summary>The job's work; null until submitted.</summary>
    [Id(0)] public JobSpec? Spec { get; set; }

    /// <summary>Where the job is.</summary>
    [Id(1)] public JobStatus Status { get; set; }

    /// <summary>One entry per shard of <see cref="JobSpec.Shards"/>.</summary>
    [Id(2)] public List<ShardState> Shards { get; set; } = [];

    /// <summary>When the job was submitted (UTC).</summary>
    [Id(3)] public DateTime Submitted { get; set; }

    /// <summary>When the job ended (UTC).</summary>
    [Id(4)] public DateTime? Finished { get; set; }

    /// <summary>The model hash every silo must match (from the spec, or the first silo's).</summary>
    [Id(5)] public string? ModelSha256 { get; set; }

    /// <summary>Problems of silos that could not take the job's shards (model missing, other weights), newest last.</summary>
    [Id(6)] public List<string> SiloProblems { get; set; } = [];
}

/// <summary>One shard's progress.</summary>
[GenerateSerializer]
public sealed class ShardState
{
    /// <summary>Where the shard is.</summary>
    [Id(0)] public ShardStatus Status { get; set; }

    /// <summary>Times the shard was leased; the current lease's number.</summary>
    [Id(1)] public int Attempts { get; set; }

    /// <summary>The silo running the shard (Orleans' parsable silo address), while running.</summary>
    [Id(2)] public string? Silo { get; set; }

    /// <summary>Why the last attempt did not finish (a line's error, or a lost silo).</summary>
    [Id(3)] public string? LastError { get; set; }

    /// <summary>The file line the last error names, if it names one.</summary>
    [Id(4)] public int? ErrorLine { get; set; }

    /// <summary>Results written by the finished attempt.</summary>
    [Id(5)] public int Results { get; set; }

    /// <summary>Seconds the finished attempt spent on the silo (reading, inference, writing).</summary>
    [Id(6)] public double Seconds { get; set; }

    /// <summary>When the current lease was given (UTC).</summary>
    [Id(7)] public DateTime? LeasedAt { get; set; }
}
