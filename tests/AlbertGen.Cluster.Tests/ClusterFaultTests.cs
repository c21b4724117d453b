using System.Text.RegularExpressions;
using AlbertGen.Cluster.Jobs;

namespace AlbertGen.Cluster.Tests;

/// <summary>
/// The faults a cluster job must survive, each on a real loopback cluster (redis-server, <c>albertgen cluster silo</c>
/// and <c>cluster run</c> processes) with short leases, and each ending with every input line's result exactly once, in
/// order, equal to the single-process command's: a shard worker that hangs while its silo stays healthy; a silo frozen
/// with SIGSTOP and never resumed; the client killed mid-job and started again; the silo holding the job grain killed
/// mid-job; Redis killed and restarted mid-job with append-only persistence.
/// </summary>
public sealed partial class ClusterFaultTests
{
    private const int Lines = 240;
    private const int Shards = 12;

    /// <summary>Each shard takes this much longer on the silos, so a fault lands while the job runs.</summary>
    private const int ShardDelayMs = 500;

    private static string[] Job(string input, string output) =>
        ["--task", "embed", "--input", input, "--output", output, "--shard-size", "20", "--normalize", "--lease-time", "4", "--lease-renewal", "0.5"];

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_worker_that_hangs_while_its_silo_stays_healthy_loses_its_lease_and_another_silo_runs_the_shard()
    {
        await using LoopbackCluster cluster = await LoopbackCluster.Start();
        (string input, string output) = Files(cluster);
        ChildProcess hung = (await cluster.StartSilos(("silo A", LoopbackCluster.Slowed(ShardDelayMs, hangShard: 0))))[0];
        ChildProcess run = cluster.Run("cluster run", Job(input, output));
        await cluster.Watch();
        string id = await JobIdOf(run);

        // Silo A is alone, so it takes shard 0 first, and hangs in it without a heartbeat.
        string a = LoopbackCluster.EndpointOf(hung);
        ShardLeaseRow lease = (await cluster.WaitUntil(id, p => p.Leases.Any(l => l.Shard == 0 && l.Silo == a), "silo A leasing shard 0")).Leases[0];
        Assert.Equal((1, 1), (lease.LeaseId, lease.Attempt));
        Assert.InRange((lease.Deadline - lease.Since).TotalSeconds, 3.9, 4.1);

        // Silo A hangs for good, so shard 0's part can only come from silo B, after A's lease expired.
        await cluster.StartSilos(("silo B", LoopbackCluster.Slowed(ShardDelayMs)));

        JobProgress done = await Completed(cluster, run, id);
        Assert.True(done.Retries >= 1, cluster.Logs());
        Assert.Contains("no progress in the last 0.5 s, lease not renewed", hung.Log);
        Assert.False(hung.HasExited, "the hung silo was meant to stay up");
        Assert.Contains((await cluster.Jobs.Silos()), s => s.Endpoint == a && s.Status == "Active");
        Assert.Contains("leases: 4 s, renewed every 0.5 s", await cluster.Status("--job", id));
        await SameAsSingleProcess(input, output);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_silo_frozen_with_sigstop_and_never_resumed_loses_its_shard_to_the_others()
    {
        await using LoopbackCluster cluster = await LoopbackCluster.Start();
        (ChildProcess[] silos, ChildProcess run, string id, string input, string output) = await OnTwoSilos(cluster);

        string a = LoopbackCluster.EndpointOf(silos[0]);
        await cluster.WaitUntil(id, p => p.Leases.Any(l => l.Silo == a) && p.ShardsDone < Shards - 2, "silo A leasing a shard early in the job");
        silos[0].Freeze();

        JobProgress done = await Completed(cluster, run, id);
        Assert.True(done.Retries >= 1, cluster.Logs());
        await SameAsSingleProcess(input, output);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task The_client_killed_mid_job_and_started_again_attaches_to_the_same_job_which_finishes_once()
    {
        await using LoopbackCluster cluster = await LoopbackCluster.Start();
        (_, ChildProcess first, string id, string input, string output) = await OnTwoSilos(cluster);
        JobProgress midway = await cluster.WaitUntil(id, p => p.ShardsDone >= 2, "two shards finishing");
        Assert.True(midway.ShardsDone < Shards, "the job ended before the client was killed");
        first.KillHard();

        ChildProcess second = cluster.Run("second cluster run", Job(input, output));
        Assert.Equal(id, await JobIdOf(second));
        Assert.Equal(0, await second.Exit(LoopbackCluster.JobLimit));
        Assert.Contains($"job {id}: completed, {Lines} lines in {Shards} parts", second.Log);
        JobProgress done = await cluster.Jobs.Progress(id);
        Assert.Equal(midway.Submitted, done.Submitted);

        // Once more after the end: it reports the result and runs nothing.
        ChildProcess third = cluster.Run("third cluster run", Job(input, output));
        Assert.Equal(0, await third.Exit(LoopbackCluster.JobLimit));
        Assert.Contains($"job {id}: completed", third.Log);
        Assert.Equal(done.ShardSeconds, (await cluster.Jobs.Progress(id)).ShardSeconds);
        await SameAsSingleProcess(input, output);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task The_silo_holding_the_job_grain_killed_with_sigkill_mid_job_leaves_the_job_to_finish_elsewhere()
    {
        await using LoopbackCluster cluster = await LoopbackCluster.Start();
        (ChildProcess[] silos, ChildProcess run, string id, string input, string output) = await OnTwoSilos(cluster);

        JobProgress midway = await cluster.WaitUntil(id, p => p.ShardsDone >= 1 && p.Leases.Count > 0, "the job running");
        ChildProcess host = silos.Single(s => LoopbackCluster.EndpointOf(s) == midway.GrainSilo);
        host.KillHard();
        await cluster.StartSilos(("silo C", LoopbackCluster.Slowed(ShardDelayMs)));

        JobProgress done = await Completed(cluster, run, id);
        Assert.NotEqual(midway.GrainSilo, done.GrainSilo);
        Assert.Contains($"job {id}: completed, {Lines} lines in {Shards} parts", run.Log);
        string status = await cluster.Status();
        Assert.Contains($"{id}  completed  embed  lines {Lines}/{Lines}  shards {Shards}/{Shards}", status);
        Assert.Matches($@"{Regex.Escape(midway.GrainSilo)} +Dead", status);
        await SameAsSingleProcess(input, output);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Redis_killed_and_restarted_mid_job_with_append_only_persistence_loses_nothing()
    {
        await using LoopbackCluster cluster = await LoopbackCluster.Start();
        (_, ChildProcess run, string id, string input, string output) = await OnTwoSilos(cluster);

        JobProgress midway = await cluster.WaitUntil(id, p => p.ShardsDone >= 2, "two shards finishing");
        Assert.True(midway.ShardsDone < Shards, "the job ended before Redis was killed");
        cluster.RedisProcess.KillHard();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await cluster.StartRedis();

        JobProgress done = await Completed(cluster, run, id);
        Assert.Equal(midway.Submitted, done.Submitted);
        await SameAsSingleProcess(input, output);
    }

    /// <summary>Two slowed silos and a <c>cluster run</c> of the test's job, watched.</summary>
    private static async Task<(ChildProcess[] Silos, ChildProcess Run, string Id, string Input, string Output)> OnTwoSilos(LoopbackCluster cluster)
    {
        (string input, string output) = Files(cluster);
        ChildProcess[] silos = await cluster.StartSilos(("silo A", LoopbackCluster.Slowed(ShardDelayMs)), ("silo B", LoopbackCluster.Slowed(ShardDelayMs)));
        ChildProcess run = cluster.Run("cluster run", Job(input, output));
        await cluster.Watch();
        return (silos, run, await JobIdOf(run), input, output);
    }

    /// <summary>The client exits 0 and the job is completed.</summary>
    private static async Task<JobProgress> Completed(LoopbackCluster cluster, ChildProcess run, string id)
    {
        Assert.Equal(0, await run.Exit(LoopbackCluster.JobLimit));
        JobProgress done = await cluster.Jobs.Progress(id);
        Assert.Equal(JobStatus.Completed, done.Status);
        return done;
    }

    private static (string Input, string Output) Files(LoopbackCluster cluster) =>
        (ClusterTestFiles.Corpus(cluster.Folder, Lines), Path.Combine(cluster.Folder, "out"));

    /// <summary>The job id from <c>cluster run</c>'s "job ID: embed of N lines" line.</summary>
    private static async Task<string> JobIdOf(ChildProcess run)
    {
        await run.WaitFor(": embed of", LoopbackCluster.StartLimit);
        return JobLine().Match(run.Log).Groups[1].Value;
    }

    private static async Task SameAsSingleProcess(string input, string output)
    {
        string expected = await ClusterTestFiles.SingleProcess("embed", input, "--normalize");
        ClusterTestFiles.SameResults(expected, ClusterTestFiles.Parts(output));
        Assert.Equal(Shards, Directory.GetFiles(output, "part-*.jsonl").Length);
    }

    [GeneratedRegex(@"job (embed-[0-9a-f]{16}): embed of")]
    private static partial Regex JobLine();
}
