using AlbertGen.Batch;
using AlbertGen.Cluster.Hosting;
using AlbertGen.Cluster.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.TestingHost;
using AlbertGen.Tests;

namespace AlbertGen.Cluster.Tests;

/// <summary>Jobs on an in-process Orleans test cluster: ordered exactly-once output, a silo killed mid-job, a poisoned line.</summary>
public sealed class InProcessClusterTests : IDisposable
{
    private readonly TempDirectory _temp = new("cluster");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(4);

    private static Task<TestCluster> Start(int silos) => TestClusters.Start(silos);

    private static Task<JobProgress> Wait(ClusterJobClient jobs, string id, Action<JobProgress>? each = null)
    {
        using var limit = new CancellationTokenSource(JobLimit);
        return jobs.Wait(id, p => each?.Invoke(p), TimeSpan.FromMilliseconds(100), limit.Token);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_job_on_three_silos_writes_each_result_once_in_input_order_as_the_single_process_command()
    {
        await using TestCluster cluster = await Start(3);
        string folder = _temp.NewFolder();
        string input = ClusterTestFiles.Corpus(folder, 130, mask: true);
        string output = Path.Combine(folder, "out");
        var jobs = new ClusterJobClient(cluster.Client);
        var settings = new FillMaskLinesSettings { TopK = 3, BatchSize = 4 };
        JobSpec spec = ClusterJobClient.Plan(input, output, new ModelReference(), settings, linesPerShard: 9, maxAttempts: 3);
        Assert.Equal(15, spec.Shards.Count);

        await jobs.Submit(spec);
        var silosSeen = new HashSet<string>();
        JobProgress done = await Wait(jobs, spec.JobId(), p => silosSeen.UnionWith(p.RunningPerSilo.Keys));

        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.Equal(130, done.LinesDone);
        Assert.Equal(15, Directory.GetFiles(output, "part-*.jsonl").Length);
        string expected = await ClusterTestFiles.SingleProcess("fill-mask", input, "--top-k", "3", "--batch-size", "4");
        ClusterTestFiles.SameResults(expected, ClusterTestFiles.Parts(output));
        Assert.True(silosSeen.Count >= 2, $"shards ran on {silosSeen.Count} silo(s): {string.Join(", ", silosSeen)}");

        // Submitting the same work under the same id attaches to the finished job instead of running it again.
        JobProgress again = await jobs.Submit(spec);
        Assert.Equal(JobStatus.Completed, again.Status);
        Assert.Equal(0, again.Retries);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_silo_killed_mid_job_loses_only_its_shard_and_the_output_is_still_complete_and_equal()
    {
        // The default model embeds a 150-line shard in tens of milliseconds, so the job could end before the victim takes a
        // shard: each shard is made 300 ms longer (working, with heartbeats). The silos' workers read the variable when
        // they start; the assembly's tests run one at a time (xunit.runner.json), so no other test sees it.
        TestCluster started;
        Environment.SetEnvironmentVariable("ALBERTGEN_CLUSTER_TEST_SHARD_DELAY_MS", "300");
        try
        {
            started = await Start(3);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ALBERTGEN_CLUSTER_TEST_SHARD_DELAY_MS", null);
        }

        await using TestCluster cluster = started;
        string folder = _temp.NewFolder();
        string input = ClusterTestFiles.Corpus(folder, 900);
        string output = Path.Combine(folder, "out");
        var jobs = new ClusterJobClient(cluster.Client);
        var settings = new EmbedLinesSettings { Pooling = AlbertGen.Tasks.EmbeddingPooling.Cls };
        JobSpec spec = ClusterJobClient.Plan(input, output, new ModelReference { Model = ClusterTestFiles.DefaultModel }, settings, linesPerShard: 150, maxAttempts: 3);

        string id = spec.JobId();
        await jobs.Submit(spec);
        SiloHandle victim = cluster.SecondarySilos[0];
        string victimName = victim.SiloAddress.Endpoint.ToString();
        using (var limit = new CancellationTokenSource(JobLimit))
        {
            JobProgress progress;
            while (!(progress = await jobs.Progress(id)).RunningPerSilo.ContainsKey(victimName))
            {
                Assert.True(progress.Status != JobStatus.Completed, "the job completed before the silo to be killed ran a shard");
                await Task.Delay(20, limit.Token);
            }
        }

        await cluster.KillSiloAsync(victim);
        JobProgress done = await Wait(jobs, id);

        Assert.Equal(JobStatus.Completed, done.Status);
        Assert.True(done.Retries >= 1, "the killed silo's shard was not run again");
        string expected = await ClusterTestFiles.SingleProcess("embed", input, "--pooling", "cls");
        ClusterTestFiles.SameResults(expected, ClusterTestFiles.Parts(output));
    }

    [Fact]
    public async Task A_poisoned_line_fails_its_shard_after_its_attempts_and_the_job_names_the_line()
    {
        await using TestCluster cluster = await Start(2);
        string folder = _temp.NewFolder();
        string input = ClusterTestFiles.Corpus(folder, 40, replace: (23, "{\"txt\": \"no text field\"}"));
        string output = Path.Combine(folder, "out");
        var jobs = new ClusterJobClient(cluster.Client);
        JobSpec spec = ClusterJobClient.Plan(input, output, new ModelReference(), new EmbedLinesSettings(), linesPerShard: 10, maxAttempts: 3);

        await jobs.Submit(spec);
        JobProgress done = await Wait(jobs, spec.JobId());

        Assert.Equal(JobStatus.Failed, done.Status);
        string error = Assert.Single(done.Errors);
        Assert.Contains("shard 2 (lines 21-30) failed 3 times", error);
        Assert.Contains($"{input}:23: \"text\" must be a string.", error);
        Assert.Equal(3, done.ShardsDone);
        Assert.False(File.Exists(Path.Combine(output, "part-00002.jsonl")));
        Assert.True(File.Exists(Path.Combine(output, "part-00003.jsonl")));
    }

    [Fact]
    public async Task A_cancelled_job_leases_no_more_shards_and_a_resubmission_with_other_work_is_refused()
    {
        await using TestCluster cluster = await Start(1);
        string folder = _temp.NewFolder();
        string input = ClusterTestFiles.Corpus(folder, 20);
        var jobs = new ClusterJobClient(cluster.Client);
        JobSpec spec = ClusterJobClient.Plan(input, Path.Combine(folder, "out"), new ModelReference { Sha256 = "not-the-default-model" }, new EmbedLinesSettings(), linesPerShard: 5, maxAttempts: 3);

        // No silo has these weights, so the job waits with a silo problem until it is cancelled.
        string id = spec.JobId();
        await jobs.Submit(spec);
        JobProgress waiting = await jobs.Progress(id);
        using (var limit = new CancellationTokenSource(JobLimit))
        {
            while (waiting.SiloProblems.Count == 0)
            {
                await Task.Delay(50, limit.Token);
                waiting = await jobs.Progress(id);
            }
        }

        Assert.Contains("SHA-256", Assert.Single(waiting.SiloProblems));
        Assert.Equal(0, waiting.ShardsDone);
        await jobs.Cancel(id);
        IJobGrain job = cluster.Client.GetGrain<IJobGrain>(id);
        Assert.Null(await job.Lease("S127.0.0.1:11111:1", "not-the-default-model"));
        Assert.Equal(JobStatus.Cancelled, (await jobs.Progress(id)).Status);
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => jobs.Submit(spec with { MaxAttempts = 2 }));
        Assert.Equal($"job {id} exists and it was submitted with --max-attempts 3, not 2; run it with the job's options to attach to it, or choose another --output for a new job.", refused.Message);
    }
}
