using System.Net;
using AlbertGen.Batch;
using AlbertGen.Cluster.Hosting;
using AlbertGen.Cluster.Jobs;
using Orleans.TestingHost;
using AlbertGen.Tests;

namespace AlbertGen.Cluster.Tests;

/// <summary>
/// The job grain's leases, driven by the test as a worker would: a lease has a deadline that renewals move on, a lease
/// not renewed in time goes to another worker, and the expired lease's late result, renewal or failure changes nothing.
/// The job's model hash is one no silo has, so the cluster's own workers take none of its shards.
/// </summary>
public sealed class JobLeaseTests : IDisposable
{
    private readonly TempDirectory _temp = new("cluster");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private const string Hash = "not-the-default-model";
    // Workers the membership does not list, with a generation of now as a starting silo has (membership counts a silo of an old generation as dead).
    private static readonly string FirstWorker = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 9), SiloAddress.AllocateNewGeneration()).ToParsableString();
    private static readonly string SecondWorker = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 10), SiloAddress.AllocateNewGeneration()).ToParsableString();

    [Fact]
    public async Task A_lease_not_renewed_in_time_goes_to_another_worker_and_the_late_result_is_discarded_by_its_lease_id()
    {
        await using TestCluster cluster = await TestClusters.Start(1);
        string folder = _temp.NewFolder();
        string output = Path.Combine(folder, "out");
        JobSpec spec = ClusterJobClient.Plan(ClusterTestFiles.Corpus(folder, 30), output, new ModelReference { Sha256 = Hash }, new EmbedLinesSettings(),
            linesPerShard: 10, maxAttempts: 3, leaseTime: TimeSpan.FromSeconds(1), leaseRenewal: TimeSpan.FromSeconds(0.5));
        var jobs = new ClusterJobClient(cluster.Client);
        await jobs.Submit(spec);
        IJobGrain job = cluster.Client.GetGrain<IJobGrain>(spec.JobId());

        ShardLease first = (await job.Lease(FirstWorker, Hash))!;
        Assert.Equal((0, 1), (first.Shard.Index, first.Attempt));
        Assert.InRange((first.Deadline - DateTime.UtcNow).TotalSeconds, 0.5, 1.0);
        await Task.Delay(100);
        DateTime renewed = (await job.Renew(0, first.LeaseId))!.Value;
        Assert.True(renewed > first.Deadline, $"renewal moved the deadline from {first.Deadline:O} to {renewed:O}");
        ShardLeaseRow row = Assert.Single((await jobs.Progress(spec.JobId())).Leases);
        Assert.Equal((0, "127.0.0.1:9", renewed, first.LeaseId), (row.Shard, row.Silo, row.Deadline, row.LeaseId));

        // Not renewed again: the job's once-a-second check takes the shard back.
        JobProgress expired = await WaitFor(jobs, spec.JobId(), p => p.Leases.Count == 0);
        Assert.Equal(1, expired.Retries);
        ShardLease second = (await job.Lease(SecondWorker, Hash))!;
        Assert.Equal((0, 2), (second.Shard.Index, second.Attempt));
        Assert.True(second.LeaseId > first.LeaseId);

        Directory.CreateDirectory(output);
        string late = Temporary(output, first, "first");
        string current = Temporary(output, second, "second");
        string part = Path.Combine(output, first.Shard.PartName);
        Assert.Null(await job.Renew(0, first.LeaseId));
        Assert.False(await job.Complete(0, first.LeaseId, new ShardDone { TemporaryFile = Path.GetFileName(late) }));
        Assert.False(File.Exists(part), "the expired lease's result became the part");
        Assert.True(await job.Complete(0, second.LeaseId, new ShardDone { TemporaryFile = Path.GetFileName(current) }));
        Assert.Equal("second\n", File.ReadAllText(part));
        Assert.False(File.Exists(current));

        // The expired lease failing or giving the shard back afterwards changes nothing.
        await job.Fail(0, first.LeaseId, new ShardFailure { Message = "late failure" });
        await job.Release(0, first.LeaseId, "late release");
        JobProgress after = await jobs.Progress(spec.JobId());
        Assert.Equal((1, 1, JobStatus.Running), (after.ShardsDone, after.Retries, after.Status));
        Assert.Equal(1, (await job.Lease(FirstWorker, Hash))!.Shard.Index);
    }

    [Fact]
    public async Task A_job_grain_reactivated_on_another_silo_gives_running_leases_a_full_lease_time()
    {
        await using TestCluster cluster = await TestClusters.Start(2);
        string folder = _temp.NewFolder();
        JobSpec spec = ClusterJobClient.Plan(ClusterTestFiles.Corpus(folder, 20), Path.Combine(folder, "out"), new ModelReference { Sha256 = Hash }, new EmbedLinesSettings(),
            linesPerShard: 10, maxAttempts: 3, leaseTime: TimeSpan.FromSeconds(4), leaseRenewal: TimeSpan.FromSeconds(1));
        var jobs = new ClusterJobClient(cluster.Client);
        JobProgress submitted = await jobs.Submit(spec);
        ShardLease lease = (await cluster.Client.GetGrain<IJobGrain>(spec.JobId()).Lease(FirstWorker, Hash))!;
        SiloHandle host = cluster.Silos.Single(s => s.SiloAddress.Endpoint.ToString() == submitted.GrainSilo);

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await cluster.StopSiloAsync(host);
        JobProgress moved = await jobs.Progress(spec.JobId());

        Assert.NotEqual(submitted.GrainSilo, moved.GrainSilo);
        ShardLeaseRow row = Assert.Single(moved.Leases);
        Assert.Equal(lease.LeaseId, row.LeaseId);
        Assert.True(row.Deadline > lease.Deadline, "the reactivated job kept the deadline its renewals (lost with the old activation) had moved on");
    }

    private static string Temporary(string output, ShardLease lease, string content)
    {
        string path = Path.Combine(output, PartFiles.TemporaryName(lease.Shard, content, lease.LeaseId));
        File.WriteAllText(path, content + "\n");
        return path;
    }

    private static async Task<JobProgress> WaitFor(ClusterJobClient jobs, string id, Func<JobProgress, bool> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            JobProgress progress = await jobs.Progress(id, limit.Token);
            if (condition(progress))
            {
                return progress;
            }

            await Task.Delay(100, limit.Token);
        }
    }
}
