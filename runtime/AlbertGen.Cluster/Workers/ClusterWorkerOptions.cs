namespace AlbertGen.Cluster.Workers;

/// <summary>How a silo's shard worker finds models and work.</summary>
public sealed class ClusterWorkerOptions
{
    /// <summary>The folder of the built-in default model (jobs without <c>--model</c>); null = such jobs fail on this silo.</summary>
    public string? DefaultModelDirectory { get; set; }

    /// <summary>The HuggingFace cache for hub ids; null = <c>HF_HUB_CACHE</c>, <c>HF_HOME</c> or the default.</summary>
    public string? HubCacheDirectory { get; set; }

    /// <summary>The device this silo runs every job's model on (<c>cluster silo --device</c>); null = the CPU.</summary>
    public TorchSharp.torch.Device? Device { get; set; }

    /// <summary>How often an idle silo asks for work.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a silo leaves a job alone after it could not run the job's model (missing, other weights).</summary>
    public TimeSpan ProblemBackoff { get; set; } = TimeSpan.FromSeconds(30);
}
