using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using AlbertGen.Cluster.Hosting;
using AlbertGen.Cluster.Jobs;
using AlbertGen.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AlbertGen.Cluster.Tests;

/// <summary>
/// A real cluster on loopback for the fault tests: a redis-server the test starts (append-only persistence on, every
/// write synced, in the test's folder), <c>albertgen cluster silo</c> processes, <c>cluster run</c> processes and a
/// watching client of the test's own. Disposing kills every process it started.
/// </summary>
internal sealed class LoopbackCluster : IAsyncDisposable
{
    public static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(3);

    private readonly List<ChildProcess> started = [];
    private readonly string redisServer;
    private readonly int redisPort;
    private readonly TempDirectory folder = new("cluster");
    private IHost? watcher;

    private LoopbackCluster(string redisServer)
    {
        this.redisServer = redisServer;
        redisPort = FreePort();
    }

    /// <summary>The cluster's folder (redis data, ready files, the test's files), deleted with the cluster.</summary>
    public string Folder => folder.Path;

    public string Redis => $"127.0.0.1:{redisPort}";

    public string ClusterId { get; } = "loopback-" + Guid.NewGuid().ToString("N")[..8];

    public ChildProcess RedisProcess { get; private set; } = null!;

    /// <summary>The watching client's job operations (connected on first use).</summary>
    public ClusterJobClient Jobs { get; private set; } = null!;

    public static async Task<LoopbackCluster> Start()
    {
        string redisServer = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed (apt-get install -y redis-server; .ci/run installs it).");
        var cluster = new LoopbackCluster(redisServer);
        await cluster.StartRedis();
        return cluster;
    }

    /// <summary>Starts redis-server on the cluster's port, reading back its append-only file if a previous one left it.</summary>
    public async Task StartRedis()
    {
        string data = Directory.CreateDirectory(Path.Combine(Folder, "redis")).FullName;
        RedisProcess = Track(ChildProcess.Start("redis-server", redisServer,
            "--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", data, "--save", "",
            "--appendonly", "yes", "--appendfsync", "always"));
        await RedisProcess.WaitFor("Ready to accept connections", StartLimit);
    }

    /// <summary>Starts silos at once (each on its own ports) and waits until each has joined.</summary>
    public async Task<ChildProcess[]> StartSilos(params (string Name, Dictionary<string, string> Environment)[] silos)
    {
        ChildProcess[] processes = [.. silos.Select(s => Track(ChildProcess.Albertgen(s.Name,
            ["cluster", "silo", "--redis", Redis, "--cluster-id", ClusterId, "--advertise", "127.0.0.1",
             "--silo-port", FreePort().ToString(CultureInfo.InvariantCulture), "--gateway-port", FreePort().ToString(CultureInfo.InvariantCulture),
             "--ready-file", ReadyFile(s.Name)],
            s.Environment)))];
        foreach ((ChildProcess silo, string name) in processes.Zip(silos.Select(s => s.Name)))
        {
            await silo.WaitFor("joined cluster", StartLimit);
            var clock = Stopwatch.StartNew();
            while (!File.Exists(ReadyFile(name)))
            {
                Assert.True(clock.Elapsed < StartLimit && !silo.HasExited, $"{silo.Name} joined but wrote no ready file:\n{silo.Log}");
                await Task.Delay(50);
            }

            Assert.Equal(EndpointOf(silo) + "\n", File.ReadAllText(ReadyFile(name)));
        }

        return processes;
    }

    private string ReadyFile(string silo) => Path.Combine(Folder, silo.Replace(' ', '-') + ".ready");

    /// <summary>Silo environment: each shard takes <paramref name="delayMs"/> longer (working, so with heartbeats).</summary>
    public static Dictionary<string, string> Slowed(int delayMs, int? hangShard = null)
    {
        var environment = new Dictionary<string, string> { ["ALBERTGEN_CLUSTER_TEST_SHARD_DELAY_MS"] = delayMs.ToString(CultureInfo.InvariantCulture) };
        if (hangShard is { } shard)
        {
            environment["ALBERTGEN_CLUSTER_TEST_HANG_SHARD"] = shard.ToString(CultureInfo.InvariantCulture);
        }

        return environment;
    }

    /// <summary>Starts <c>albertgen cluster run</c> on this cluster with the given job arguments.</summary>
    public ChildProcess Run(string name, params string[] job) =>
        Track(ChildProcess.Albertgen(name, ["cluster", "run", "--redis", Redis, "--cluster-id", ClusterId, .. job]));

    /// <summary>Runs <c>albertgen cluster status</c> to its end and returns what it printed.</summary>
    public async Task<string> Status(params string[] more)
    {
        ChildProcess status = Track(ChildProcess.Albertgen("cluster status", ["cluster", "status", "--redis", Redis, "--cluster-id", ClusterId, .. more]));
        Assert.Equal(0, await status.Exit(StartLimit));
        return status.Log;
    }

    /// <summary>Connects the watching client.</summary>
    public async Task Watch()
    {
        watcher = ClusterHosting.BuildClient(Redis, ClusterId);
        await watcher.StartAsync();
        Jobs = new ClusterJobClient(watcher.Services.GetRequiredService<IClusterClient>());
    }

    /// <summary>Polls the job until <paramref name="condition"/> holds; fails naming <paramref name="what"/> and the processes' output otherwise.</summary>
    public async Task<JobProgress> WaitUntil(string jobId, Func<JobProgress, bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            JobProgress progress = await Jobs.Progress(jobId);
            if (condition(progress))
            {
                return progress;
            }

            Assert.True(clock.Elapsed < JobLimit && !progress.IsFinished, $"{what} did not happen (job {progress.Status}, {progress.ShardsDone}/{progress.Shards} shards):\n{Logs()}");
            await Task.Delay(50);
        }
    }

    /// <summary>host:port from a silo's "silo H:P (gateway port G) joined" line.</summary>
    public static string EndpointOf(ChildProcess silo) =>
        silo.Log.Split('\n').First(l => l.Contains("joined cluster", StringComparison.Ordinal)).Split(' ')[1];

    /// <summary>Every process's output, for failure messages.</summary>
    public string Logs() => string.Join("\n", started.Select(p => $"--- {p.Name} ---\n{p.Log}"));

    public async ValueTask DisposeAsync()
    {
        if (watcher is not null)
        {
            try
            {
                await watcher.StopAsync(TimeSpan.FromSeconds(5));
            }
            finally
            {
                watcher.Dispose();
            }
        }

        foreach (ChildProcess process in Enumerable.Reverse(started))
        {
            process.Dispose();
        }

        // The processes' output is in the failure messages (Logs()); their files go with the folder.
        folder.Dispose();
    }

    private ChildProcess Track(ChildProcess process)
    {
        started.Add(process);
        return process;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
