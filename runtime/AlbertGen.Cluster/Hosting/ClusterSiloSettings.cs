using System.Net;

namespace AlbertGen.Cluster.Hosting;

/// <summary>How a silo joins its cluster (the options of <c>albertgen cluster silo</c>).</summary>
public sealed record ClusterSiloSettings
{
    /// <summary>The Redis server (<c>host:port</c>, or any StackExchange.Redis configuration string) for membership and job storage.</summary>
    public string Redis { get; init; } = "";

    /// <summary>The cluster's id: silos and clients with the same id and Redis form one cluster.</summary>
    public string ClusterId { get; init; } = "";

    /// <summary>Port for silo-to-silo traffic (Orleans' default 11111).</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>Port clients connect to (Orleans' default 30000).</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>The address other machines reach this silo at; null = this host's first IPv4 address.</summary>
    public IPAddress? Advertise { get; init; }

    /// <summary>Models (directories or hub ids) to find and hash at start-up, so a missing model shows at once and the first shard does not wait for the hash.</summary>
    public IReadOnlyList<string> Preload { get; init; } = [];
}
