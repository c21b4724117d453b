using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AlbertGen.Cluster.Hosting;
using AlbertGen.Cluster.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AlbertGen.Cluster.Tests;

/// <summary>
/// The real thing on loopback: redis-server, two <c>albertgen cluster silo</c> processes and <c>albertgen cluster run</c>;
/// one silo is killed with SIGKILL mid-job and replaced, and the output must still equal the single-process command's.
/// </summary>
public sealed class LoopbackClusterTests
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(4);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_silo_killed_with_sigkill_and_replaced_mid_job_still_gives_the_single_process_output()
    {
        string redisServer = FindOnPath("redis-server")
            ?? throw new InvalidOperationException("redis-server is not installed (apt-get install -y redis-server; .ci/run installs it).");
        string folder = ClusterTestFiles.TempFolder();
        string input = ClusterTestFiles.Corpus(folder, 1500);
        string output = Path.Combine(folder, "out");
        int redisPort = FreePort();
        string redis = $"127.0.0.1:{redisPort}";
        string clusterId = "loopback-" + Guid.NewGuid().ToString("N")[..8];
        var started = new List<ChildProcess>();
        try
        {
            ChildProcess server = Track(started, ChildProcess.Start("redis-server", redisServer, "--port", redisPort.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"));
            await server.WaitFor("Ready to accept connections", StartLimit);

            ChildProcess first = Track(started, Silo("silo A", redis, clusterId));
            ChildProcess second = Track(started, Silo("silo B", redis, clusterId));
            await first.WaitFor("joined cluster", StartLimit);
            await second.WaitFor("joined cluster", StartLimit);

            ChildProcess run = Track(started, ChildProcess.Albertgen("cluster run",
                "cluster", "run", "--redis", redis, "--cluster-id", clusterId, "--task", "embed", "--input", input, "--output", output,
                "--shard-size", "100", "--job", "kill-9", "--normalize"));

            // Watch the job through a client of our own, and kill silo A while it runs a shard.
            string firstEndpoint = EndpointOf(first);
            using (IHost watcher = ClusterHosting.BuildClient(redis, clusterId))
            {
                await watcher.StartAsync();
                var jobs = new ClusterJobClient(watcher.Services.GetRequiredService<IClusterClient>());
                var clock = Stopwatch.StartNew();
                while (!(await jobs.Progress("kill-9")).RunningPerSilo.ContainsKey(firstEndpoint))
                {
                    Assert.True(clock.Elapsed < JobLimit, $"silo A never ran a shard:\n{first.Log}\n{run.Log}");
                    Assert.False(run.HasExited, $"cluster run ended before silo A ran a shard:\n{run.Log}");
                    await Task.Delay(50);
                }

                first.KillHard();
                Track(started, Silo("silo C", redis, clusterId));
                Assert.Equal(0, await run.Exit(JobLimit));
                JobProgress done = await jobs.Progress("kill-9");
                Assert.Equal(JobStatus.Completed, done.Status);
                Assert.True(done.Retries >= 1, $"no shard was retried after silo A died:\n{run.Log}");
                await watcher.StopAsync();
            }

            Assert.Contains("job kill-9: completed, 1500 lines in 15 parts", run.Log);
            ChildProcess status = Track(started, ChildProcess.Albertgen("cluster status", "cluster", "status", "--redis", redis, "--cluster-id", clusterId));
            Assert.Equal(0, await status.Exit(StartLimit));
            Assert.Contains("kill-9  completed  embed  lines 1500/1500  shards 15/15", status.Log);
            Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(firstEndpoint)} +Dead", status.Log);

            string expected = await ClusterTestFiles.SingleProcess("embed", input, "--normalize");
            ClusterTestFiles.SameResults(expected, ClusterTestFiles.Parts(output));
        }
        finally
        {
            foreach (ChildProcess process in Enumerable.Reverse(started))
            {
                process.Dispose();
            }
        }
    }

    private static ChildProcess Track(List<ChildProcess> started, ChildProcess process)
    {
        started.Add(process);
        return process;
    }

    private static ChildProcess Silo(string name, string redis, string clusterId) =>
        ChildProcess.Albertgen(name, "cluster", "silo", "--redis", redis, "--cluster-id", clusterId, "--advertise", "127.0.0.1",
            "--silo-port", FreePort().ToString(), "--gateway-port", FreePort().ToString());

    /// <summary>host:port from the silo's "silo H:P (gateway port G) joined" line.</summary>
    private static string EndpointOf(ChildProcess silo)
    {
        string line = silo.Log.Split('\n').First(l => l.Contains("joined cluster", StringComparison.Ordinal));
        return line.Split(' ')[1];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
