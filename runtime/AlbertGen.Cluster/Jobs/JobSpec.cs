using System.Security.Cryptography;
using System.Text;

namespace AlbertGen.Cluster.Jobs;

/// <summary>What a job runs: which lines of which file through which model and task, into which folder.</summary>
[GenerateSerializer, Immutable]
public sealed record JobSpec
{
    /// <summary>How long a shard's lease lasts unless its worker renews it (default 2 minutes).</summary>
    public static readonly TimeSpan DefaultLeaseTime = TimeSpan.FromMinutes(2);

    /// <summary>How often a working shard worker renews its lease (default every 15 s).</summary>
    public static readonly TimeSpan DefaultLeaseRenewal = TimeSpan.FromSeconds(15);

    /// <summary>The JSON-lines input, as a path every silo can read (shared storage).</summary>
    [Id(0)] public string InputPath { get; init; } = "";

    /// <summary>The folder that receives <c>part-NNNNN.jsonl</c>, as a path every silo can write.</summary>
    [Id(1)] public string OutputDirectory { get; init; } = "";

    /// <summary>The model every silo resolves locally.</summary>
    [Id(2)] public ModelReference Model { get; init; } = new();

    /// <summary>The task and its options (<see cref="Batch.JsonlTaskSettings.ToJson"/>).</summary>
    [Id(3)] public string TaskSettingsJson { get; init; } = "";

    /// <summary>The input's shards, in file order.</summary>
    [Id(4)] public IReadOnlyList<ShardRange> Shards { get; init; } = [];

    /// <summary>How many times a shard is started (first run and retries) before the job gives it up.</summary>
    [Id(5)] public int MaxAttempts { get; init; } = 3;

    /// <summary>
    /// How long a shard's lease lasts from its grant or last renewal: a worker that shows no progress for this long
    /// (hung in a model call, a deadlock, a stalled disk) loses the shard to another silo, though its silo stays healthy.
    /// </summary>
    [Id(6)] public TimeSpan LeaseTime { get; init; } = DefaultLeaseTime;

    /// <summary>How often a worker that made progress since its last renewal renews its lease.</summary>
    [Id(7)] public TimeSpan LeaseRenewal { get; init; } = DefaultLeaseRenewal;

    /// <summary>
    /// The job's id, derived from what it computes: the input, the task and its options, the model and the output
    /// folder (<c>embed-</c> and 16 hex digits of their SHA-256). The same command names the same job on any machine.
    /// </summary>
    public string JobId()
    {
        string identity = string.Join('\n', InputPath, OutputDirectory, Model.Model ?? "", Model.Revision, Model.Sha256 ?? "", TaskSettingsJson);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)));
        return $"{Batch.JsonlTaskSettings.FromJson(TaskSettingsJson).TaskName}-{hash[..16]}";
    }

    /// <summary>Checks what the job grain relies on.</summary>
    /// <exception cref="ArgumentException">No shards, attempts out of range, or lease times that cannot work.</exception>
    public void Validate()
    {
        if (Shards.Count == 0)
        {
            throw new ArgumentException($"{InputPath}: the input has no lines.");
        }

        if (MaxAttempts is < 1 or > byte.MaxValue)
        {
            throw new ArgumentException($"--max-attempts must be between 1 and {byte.MaxValue}, not {MaxAttempts}.");
        }

        if (LeaseRenewal <= TimeSpan.Zero)
        {
            throw new ArgumentException($"--lease-renewal must be positive, not {LeaseRenewal.TotalSeconds} s.");
        }

        if (LeaseRenewal * 2 > LeaseTime)
        {
            throw new ArgumentException(
                $"--lease-renewal ({LeaseRenewal.TotalSeconds} s) must be at most half of --lease-time ({LeaseTime.TotalSeconds} s), so one late renewal does not lose a working shard.");
        }
    }

    /// <summary>
    /// What differs between this job's spec and <paramref name="other"/> (the options that keep the same id but change
    /// the parts), or null when they describe the same job.
    /// </summary>
    public string? Difference(JobSpec other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (JobId() != other.JobId())
        {
            return $"it computes other work (input {InputPath}, output {OutputDirectory})";
        }

        if (!Shards.SequenceEqual(other.Shards))
        {
            return Shards.Count > 1 && other.Shards.Count > 0 && Shards[0].LineCount != other.Shards[0].LineCount
                ? $"it was submitted with --shard-size {Shards[0].LineCount}, not {other.Shards[0].LineCount}"
                : $"its input changed since submission ({Shards.Count} shards of {Shards.Sum(s => (long)s.LineCount)} lines then, {other.Shards.Count} of {other.Shards.Sum(s => (long)s.LineCount)} now)";
        }

        if (MaxAttempts != other.MaxAttempts)
        {
            return $"it was submitted with --max-attempts {MaxAttempts}, not {other.MaxAttempts}";
        }

        if (LeaseTime != other.LeaseTime || LeaseRenewal != other.LeaseRenewal)
        {
            return $"it was submitted with --lease-time {LeaseTime.TotalSeconds} --lease-renewal {LeaseRenewal.TotalSeconds}, not {other.LeaseTime.TotalSeconds} and {other.LeaseRenewal.TotalSeconds}";
        }

        return null;
    }
}

/// <summary>A model as each silo finds it: a directory or hub id (null = the silo's built-in default model), checked by hash.</summary>
[GenerateSerializer, Immutable]
public sealed record ModelReference
{
    /// <summary>A directory path or HuggingFace hub id; null for the built-in default model.</summary>
    [Id(0)] public string? Model { get; init; }

    /// <summary>For a hub id: the branch, tag or commit.</summary>
    [Id(1)] public string Revision { get; init; } = "main";

    /// <summary>
    /// SHA-256 of the model's files (<see cref="Workers.ModelHash"/>) that every silo must have; null = the first silo's
    /// hash becomes the job's, and every other silo must match it.
    /// </summary>
    [Id(2)] public string? Sha256 { get; init; }

    /// <summary>How the reference reads in messages.</summary>
    public override string ToString() => Model is null ? "the default model" : Revision == "main" ? Model : $"{Model}@{Revision}";
}

/// <summary>A shard: the bytes [<see cref="Start"/>, <see cref="End"/>) of the input, which hold whole lines.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardRange
{
    /// <summary>0-based shard number; the output part is <c>part-{Index:D5}.jsonl</c>.</summary>
    [Id(0)] public int Index { get; init; }

    /// <summary>First byte.</summary>
    [Id(1)] public long Start { get; init; }

    /// <summary>One past the last byte.</summary>
    [Id(2)] public long End { get; init; }

    /// <summary>1-based number of the shard's first line in the file.</summary>
    [Id(3)] public int FirstLine { get; init; }

    /// <summary>Lines in the shard, blank ones included.</summary>
    [Id(4)] public int LineCount { get; init; }

    /// <summary>The shard's output file name.</summary>
    public string PartName => $"part-{Index:D5}.jsonl";
}
