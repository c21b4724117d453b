namespace AlbertGen.Cluster.Jobs;

/// <summary>What a job runs: which lines of which file through which model and task, into which folder.</summary>
[GenerateSerializer, Immutable]
public sealed record JobSpec
{
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

    /// <summary>Whether two specs describe the same work (a resubmitted job attaches instead of starting again).</summary>
    public bool SameWork(JobSpec other) =>
        other is not null && InputPath == other.InputPath && OutputDirectory == other.OutputDirectory && Model == other.Model
        && TaskSettingsJson == other.TaskSettingsJson && MaxAttempts == other.MaxAttempts && Shards.SequenceEqual(other.Shards);
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
