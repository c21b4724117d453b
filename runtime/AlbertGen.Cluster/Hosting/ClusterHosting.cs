using System.Net;
using System.Net.Sockets;
using AlbertGen.Cluster.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using StackExchange.Redis;

namespace AlbertGen.Cluster.Hosting;

/// <summary>The one place silos and clients of an AlbertGen cluster are configured.</summary>
public static class ClusterHosting
{
    /// <summary>
    /// Adds AlbertGen's shard worker and model catalog to a silo (its grains come with the assembly). The caller
    /// chooses membership and the <see cref="ClusterNames.Storage"/> grain storage: Redis in <see cref="BuildSilo"/>,
    /// memory in tests.
    /// </summary>
    public static ISiloBuilder AddAlbertGenWorker(this ISiloBuilder silo, Action<ClusterWorkerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.Configure(configure);
        silo.Services.AddSingleton<ModelCatalog>();
        silo.Services.AddHostedService<ShardWorker>();
        return silo;
    }

    /// <summary>
    /// A silo host on Redis membership and Redis job storage. Failure detection is quicker than Orleans' defaults (a
    /// probe times out after 2 s, 3 missed probes suspect a silo): a batch silo that is declared dead wrongly costs one
    /// rerun shard, one that is declared dead late holds its shard back.
    /// </summary>
    public static IHost BuildSilo(ClusterSiloSettings settings, Action<ClusterWorkerOptions> worker, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ConfigurationOptions redis = ParseRedis(settings.Redis);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        logging?.Invoke(builder.Logging);
        builder.UseOrleans(silo =>
        {
            if (settings.Kubernetes)
            {
                // First, so the cluster and service ids configured below win over ORLEANS_CLUSTER_ID and ORLEANS_SERVICE_ID.
                silo.UseKubernetesHosting();
            }

            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = ClusterNames.ServiceId;
            });
            silo.UseRedisClustering(o => o.ConfigurationOptions = redis.Clone());
            silo.AddRedisGrainStorage(ClusterNames.Storage, o => o.ConfigurationOptions = redis.Clone());
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(2);
                o.NumMissedProbesLimit = 3;
            });
            if ((settings.Kubernetes ? settings.Advertise ?? PodAddress() : settings.Advertise) is { } address)
            {
                silo.ConfigureEndpoints(address, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
            }
            else
            {
                silo.ConfigureEndpoints(settings.SiloPort, settings.GatewayPort, AddressFamily.InterNetwork, listenOnAnyHostAddress: true);
            }

            silo.AddAlbertGenWorker(worker);
        });
        return builder.Build();
    }

    /// <summary>The pod's IP from <c>POD_IP</c> (the downward API's <c>status.podIP</c>), which a Kubernetes silo advertises.</summary>
    /// <exception cref="ArgumentException"><c>POD_IP</c> is unset or not an IP address.</exception>
    private static IPAddress PodAddress()
    {
        string? text = Environment.GetEnvironmentVariable("POD_IP");
        return IPAddress.TryParse(text, out IPAddress? address)
            ? address
            : throw new ArgumentException($"--kubernetes: POD_IP is {(string.IsNullOrEmpty(text) ? "not set" : $"'{text}', not an IP address")}; set it from the downward API (fieldRef status.podIP) or give --advertise.");
    }

    /// <summary>A client host that reaches the cluster through the gateways Redis membership lists.</summary>
    public static IHost BuildClient(string redisConfiguration, string clusterId, Action<ILoggingBuilder>? logging = null)
    {
        ConfigurationOptions redis = ParseRedis(redisConfiguration);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        logging?.Invoke(builder.Logging);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = ClusterNames.ServiceId;
            });
            client.UseRedisClustering(o => o.ConfigurationOptions = redis.Clone());
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        });
        return builder.Build();
    }

    /// <summary>A Redis configuration string (<c>host:port</c> and StackExchange.Redis options), failing fast when the server is away.</summary>
    /// <exception cref="ArgumentException">The text is not a Redis configuration.</exception>
    public static ConfigurationOptions ParseRedis(string configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration))
        {
            throw new ArgumentException("--redis is required (host:port of the Redis server).");
        }

        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--redis '{configuration}' is not a Redis address ({e.Message}).", e);
        }

        options.AbortOnConnectFail = false;
        return options;
    }

    /// <summary>
    /// Connects to Redis once and disconnects: Orleans' Redis providers retry an absent server for ever, so a wrong
    /// <c>--redis</c> would hang a silo's start instead of failing it.
    /// </summary>
    /// <exception cref="IOException">The server does not answer within 5 s.</exception>
    public static void CheckRedis(string configuration)
    {
        ConfigurationOptions options = ParseRedis(configuration);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5_000;
        options.ConnectRetry = 1;
        try
        {
            using ConnectionMultiplexer connection = ConnectionMultiplexer.Connect(options);
            connection.GetDatabase().Ping();
        }
        catch (RedisException e)
        {
            throw new IOException($"cannot reach Redis at {configuration}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>Parses <c>--advertise</c>.</summary>
    /// <exception cref="ArgumentException">Not an IP address.</exception>
    public static IPAddress ParseAddress(string text) =>
        IPAddress.TryParse(text, out IPAddress? address) ? address : throw new ArgumentException($"--advertise '{text}' is not an IP address.");
}
