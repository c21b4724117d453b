using AlbertGen.Batch;
using AlbertGen.Cluster.Hosting;
using AlbertGen.Cluster.Jobs;
using Orleans.TestingHost;
using AlbertGen.Tests;

namespace AlbertGen.Cluster.Tests;

/// <summary>
/// Submission as one idempotent step: the job id comes from the spec, a submission a crash cut short is finished by
/// resubmitting or by the grain's next activation, and an output folder takes one job only.
/// </summary>
public sealed class JobSubmissionTests : IDisposable
{
    private readonly TempDirectory _temp = new("cluster");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private const string Hash = "not-the-default-model";

    private static JobSpec Spec(string folder, JsonlTaskSettings? settings = null, int linesPerShard = 10, string output = "out") =>
        ClusterJobClient.Plan(Path.Combine(folder, "input.jsonl"), Path.Combine(folder, output), new ModelReference { Sha256 = Hash }, settings ?? new EmbedLinesSettings(), linesPerShard, maxAttempts: 3);

    private (string Folder, JobSpec Spec, string Id) NewJob()
    {
        string folder = _temp.NewFolder();
        ClusterTestFiles.Corpus(folder, 30);
        JobSpec spec = Spec(folder);
        return (folder, spec, spec.JobId());
    }

    [Fact]
    public void The_job_id_comes_from_input_task_model_and_output_and_not_from_how_the_work_is_cut()
    {
        string folder = _temp.NewFolder();
        ClusterTestFiles.Corpus(folder, 30);
        string id = Spec(folder).JobId();
        Assert.Matches("^embed-[0-9a-f]{16}$", id);
        Assert.Equal(id, Spec(folder).JobId());
        Assert.Equal(id, Spec(folder, linesPerShard: 7).JobId());
        Assert.NotEqual(id, Spec(folder, output: "elsewhere").JobId());
        Assert.NotEqual(id, Spec(folder, new EmbedLinesSettings { Normalize = true }).JobId());
        Assert.NotEqual(id, (Spec(folder) with { Model = new ModelReference { Sha256 = "other" } }).JobId());
        Assert.StartsWith("classify-", Spec(folder, new ClassifyLinesSettings()).JobId());
    }

    [Fact]
    public void An_output_folder_takes_its_own_job_again_and_refuses_any_other_naming_the_owner()
    {
        string folder = _temp.NewFolder();
        ClusterTestFiles.Corpus(folder, 30);
        JobSpec mine = Spec(folder);
        OutputFolderClaim.Claim(mine);
        OutputFolderClaim.Claim(mine);

        var other = Assert.Throws<ArgumentException>(() => OutputFolderClaim.Claim(Spec(folder, new EmbedLinesSettings { Normalize = true })));
        Assert.StartsWith($"--output {mine.OutputDirectory} belongs to job {mine.JobId()} (embed of {mine.InputPath} with the default model, claimed ", other.Message);
        Assert.EndsWith("Choose another --output, or run that job's command to attach to it.", other.Message);

        JobSpec stray = Spec(folder, output: "stray");
        Directory.CreateDirectory(stray.OutputDirectory);
        File.WriteAllText(Path.Combine(stray.OutputDirectory, "part-00000.jsonl"), "{}\n");
        var unknown = Assert.Throws<ArgumentException>(() => OutputFolderClaim.Claim(stray));
        Assert.Equal($"--output {stray.OutputDirectory} holds part files but no .albertgen-job.json; a job writes only into an empty folder or its own. Choose another --output.", unknown.Message);
    }

    [Fact]
    public async Task A_submission_cut_short_after_its_spec_was_written_is_finished_by_the_grain_and_a_resubmission_attaches()
    {
        await using TestCluster cluster = await TestClusters.Start(1);
        (string folder, JobSpec spec, string id) = NewJob();
        var jobs = new ClusterJobClient(cluster.Client);

        // What a client or silo that died right after the spec write leaves: a spec, no shard table, no registration.
        ProcessWideGrainStorage.Put(cluster.Options.ClusterId, "spec", cluster.Client.GetGrain<IJobGrain>(id).GetGrainId(), new JobSpecState { Spec = spec });
        Assert.DoesNotContain(id, await cluster.Client.GetGrain<IJobRegistryGrain>(0).RunningJobs());

        JobProgress resumed = await jobs.Submit(spec);
        Assert.Equal((JobStatus.Running, 3, 0), (resumed.Status, resumed.Shards, resumed.ShardsDone));
        Assert.Contains(id, await cluster.Client.GetGrain<IJobRegistryGrain>(0).RunningJobs());
        Assert.Equal(resumed.Submitted, (await jobs.Submit(spec)).Submitted);

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => jobs.Submit(Spec(folder, linesPerShard: 7)));
        Assert.Equal($"job {id} exists and it was submitted with --shard-size 10, not 7; run it with the job's options to attach to it, or choose another --output for a new job.", refused.Message);
    }

    [Fact]
    public async Task A_running_job_whose_registration_was_lost_registers_again_when_its_grain_activates()
    {
        await using TestCluster cluster = await TestClusters.Start(1);
        (_, JobSpec spec, string id) = NewJob();
        GrainId grain = cluster.Client.GetGrain<IJobGrain>(id).GetGrainId();

        // Spec and shard table written, the registry's write lost with its silo.
        ProcessWideGrainStorage.Put(cluster.Options.ClusterId, "spec", grain, new JobSpecState { Spec = spec });
        ProcessWideGrainStorage.Put(cluster.Options.ClusterId, "job", grain, new JobState
        {
            Status = JobStatus.Running, Submitted = DateTime.UtcNow, ModelSha256 = Hash, Shards = new byte[3], Attempts = new byte[3],
        });
        IJobRegistryGrain registry = cluster.Client.GetGrain<IJobRegistryGrain>(0);
        Assert.DoesNotContain(id, await registry.RunningJobs());

        Assert.Equal(JobStatus.Running, (await new ClusterJobClient(cluster.Client).Progress(id)).Status);
        Assert.Contains(id, await registry.RunningJobs());
    }
}
