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

    /// <summary>
    /// Whether the silo runs in a Kubernetes pod and takes its identity from it (<c>UseKubernetesHosting</c>): silo name
    /// from <c>POD_NAME</c>, advertised address from <c>POD_IP</c> (unless <see cref="Advertise"/> is set), and the
    /// membership entries of deleted pods removed as soon as Kubernetes reports them gone.
    /// </summary>
    public bool Kubernetes { get; init; }

    /// <summary>Whether the environment is a Kubernetes pod set up for it: <c>KUBERNETES_SERVICE_HOST</c> (every pod has it) and <c>POD_NAME</c> (from the downward API, as the README's manifest sets it).</summary>
    public static bool InKubernetesPod(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST")) && !string.IsNullOrEmpty(environment("POD_NAME"));
    }

    /// <summary>Models (directories or hub ids) to find and hash at start-up, so a missing model shows at once and the first shard does not wait for the hash.</summary>
    public IReadOnlyList<string> Preload { get; init; } = [];
}
