namespace AlbertGen.Cluster;

/// <summary>Names the silos and clients of an AlbertGen cluster agree on.</summary>
public static class ClusterNames
{
    /// <summary>The grain storage provider holding jobs (Redis in a real cluster, memory in tests).</summary>
    public const string Storage = "albertgen-jobs";

    /// <summary>Orleans' service id: the same for every AlbertGen cluster, which the cluster id tells apart.</summary>
    public const string ServiceId = "albertgen";
}
