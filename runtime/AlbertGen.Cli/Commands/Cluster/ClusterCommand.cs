using System.CommandLine;
using AlbertGen.Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Orleans;

namespace AlbertGen.Cli.Commands.Cluster;

/// <summary><c>albertgen cluster</c>: distributed JSON-lines batch jobs on an Orleans cluster with Redis membership.</summary>
internal static class ClusterCommand
{
    public static Command Create(CliContext context) =>
        new("cluster", "Run JSON-lines batch jobs on a cluster of silos (Microsoft Orleans, Redis membership).")
        {
            ClusterSiloCommand.Create(context),
            ClusterRunCommand.Create(context),
            ClusterStatusCommand.Create(context),
            ClusterCancelCommand.Create(context),
        };
}

/// <summary>The <c>--redis</c> and <c>--cluster-id</c> options every cluster command shares.</summary>
internal sealed class ClusterConnectionOptions
{
    public Option<string> Redis { get; } = new("--redis") { Description = "The Redis server holding membership and jobs (host:port).", Required = true };

    public Option<string> ClusterId { get; } = new("--cluster-id") { Description = "The cluster's id: silos and clients with the same Redis and id form one cluster.", Required = true };

    public void AddTo(Command command)
    {
        command.Options.Add(Redis);
        command.Options.Add(ClusterId);
    }

    /// <summary>Connects a client (Orleans logs only errors, to the error stream).</summary>
    /// <exception cref="IOException">No silo of the cluster answers.</exception>
    public async Task<ConnectedClient> Connect(ParseResult parse, CancellationToken cancellationToken)
    {
        string redis = parse.GetValue(Redis)!;
        string clusterId = parse.GetValue(ClusterId)!;
        ClusterHosting.CheckRedis(redis);
        IHost host = ClusterHosting.BuildClient(redis, clusterId, logging => Logging(logging, LogLevel.Error, LogLevel.Error));
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(60));
            await host.StartAsync(limit.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new IOException($"cannot reach cluster '{clusterId}' through Redis {redis}: {CliErrors.Describe(e)} (is a silo running? albertgen cluster silo --redis {redis} --cluster-id {clusterId})", e);
        }

        return new ConnectedClient(host, new ClusterJobClient(host.Services.GetRequiredService<IClusterClient>()));
    }

    /// <summary>Logs to the error stream: <paramref name="albertGen"/> and above from AlbertGen, <paramref name="others"/> and above from Orleans and the rest.</summary>
    public static void Logging(ILoggingBuilder logging, LogLevel albertGen, LogLevel others)
    {
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(others);
        logging.AddFilter("AlbertGen", albertGen);
    }
}

/// <summary>A started client host and the job operations on it; disposing stops the client.</summary>
internal sealed class ConnectedClient(IHost host, ClusterJobClient jobs) : IAsyncDisposable
{
    public ClusterJobClient Jobs { get; } = jobs;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await host.StopAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            host.Dispose();
        }
    }
}
