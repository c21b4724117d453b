using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace AlbertGen.Cluster.Jobs;

/// <summary>
/// The job: its shard table lives in persisted state (Redis in a real cluster), so the grain can be reactivated on any
/// silo after its own silo dies and carry on where it was. Silos pull shards with <see cref="Lease"/>; a shard whose
/// silo membership declares dead goes back to pending, checked on every call and once a second while the job runs.
/// </summary>
internal sealed partial class JobGrain(
    [PersistentState("job", ClusterNames.Storage)] IPersistentState<JobState> state,
    IClusterMembershipService membership,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    private static readonly TimeSpan DeadSiloCheck = TimeSpan.FromSeconds(1);
    private IGrainTimer? timer;

    private JobState Job => state.State;

    private string JobId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Job.Status == JobStatus.Running)
        {
            StartTimer();
        }

        return Task.CompletedTask;
    }

    public async Task<JobProgress> Submit(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Job.Spec is not null)
        {
            return Job.Spec.SameWork(spec)
                ? Progress()
                : throw new ArgumentException($"job '{JobId}' exists with other work (input {Job.Spec.InputPath}, output {Job.Spec.OutputDirectory}); choose another --job id.");
        }

        if (spec.Shards.Count == 0)
        {
            throw new ArgumentException($"{spec.InputPath}: the input has no lines.");
        }

        Job.Spec = spec;
        Job.Status = JobStatus.Running;
        Job.Submitted = DateTime.UtcNow;
        Job.ModelSha256 = spec.Model.Sha256;
        Job.Shards = [.. spec.Shards.Select(_ => new ShardState())];
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IJobRegistryGrain>(0).Started(JobId);
        StartTimer();
        LogSubmitted(JobId, spec.Shards.Count, spec.InputPath);
        return Progress();
    }

    public Task<ModelReference?> GetModel() =>
        Task.FromResult(Job.Status == JobStatus.Running ? Job.Spec!.Model with { Sha256 = Job.ModelSha256 } : null);

    public async Task<ShardLease?> Lease(string silo, string modelSha256)
    {
        await RequeueShardsOfDeadSilos();
        if (Job.Status != JobStatus.Running)
        {
            return null;
        }

        if (Job.ModelSha256 is null)
        {
            Job.ModelSha256 = modelSha256;
        }
        else if (Job.ModelSha256 != modelSha256)
        {
            await ReportSiloProblem(silo, $"its copy of {Job.Spec!.Model} has SHA-256 {modelSha256}, the job's has {Job.ModelSha256}; it takes none of the job's shards.");
            return null;
        }

        int index = Job.Shards.FindIndex(s => s.Status == ShardStatus.Pending);
        if (index < 0)
        {
            return null;
        }

        ShardState shard = Job.Shards[index];
        shard.Status = ShardStatus.Running;
        shard.Attempts++;
        shard.Silo = silo;
        shard.LeasedAt = DateTime.UtcNow;
        await state.WriteStateAsync();
        return new ShardLease { JobId = JobId, Spec = Job.Spec!, Shard = Job.Spec!.Shards[index], Attempt = shard.Attempts };
    }

    public async Task Complete(int shard, int attempt, ShardDone done)
    {
        ArgumentNullException.ThrowIfNull(done);
        if (CurrentLease(shard, attempt) is not { } current)
        {
            // A retried shard's earlier attempt finishing late: its part is the same file, renamed over the same name.
            return;
        }

        current.Status = ShardStatus.Done;
        current.Results = done.Results;
        current.Seconds = done.Seconds;
        current.Silo = null;
        await EndIfFinished();
        await state.WriteStateAsync();
    }

    public async Task Fail(int shard, int attempt, ShardFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (CurrentLease(shard, attempt) is not { } current)
        {
            return;
        }

        LogShardFailed(JobId, shard, attempt, failure.Message);
        current.LastError = failure.Message;
        current.ErrorLine = failure.Line;
        GiveBack(current);
        await EndIfFinished();
        await state.WriteStateAsync();
    }

    public async Task Release(int shard, int attempt, string reason)
    {
        if (CurrentLease(shard, attempt) is not { } current)
        {
            return;
        }

        current.Status = ShardStatus.Pending;
        current.Attempts--;
        current.Silo = null;
        current.LastError = reason;
        await state.WriteStateAsync();
    }

    public async Task ReportSiloProblem(string silo, string problem)
    {
        string line = $"{SiloNames.Display(silo)}: {problem}";
        if (!Job.SiloProblems.Contains(line))
        {
            LogSiloProblem(JobId, line);
            Job.SiloProblems.Add(line);
            await state.WriteStateAsync();
        }
    }

    public async Task<JobProgress> GetProgress()
    {
        await RequeueShardsOfDeadSilos();
        return Progress();
    }

    public async Task Cancel()
    {
        if (Job.Status == JobStatus.Running)
        {
            Job.Status = JobStatus.Cancelled;
            Job.Finished = DateTime.UtcNow;
            await state.WriteStateAsync();
            await GrainFactory.GetGrain<IJobRegistryGrain>(0).Ended(JobId);
            StopTimer();
        }
    }

    private ShardState? CurrentLease(int shard, int attempt) =>
        Job.Status == JobStatus.Running && shard >= 0 && shard < Job.Shards.Count
        && Job.Shards[shard] is { Status: ShardStatus.Running } current && current.Attempts == attempt ? current : null;

    /// <summary>A failed or lost attempt: pending again, or failed for good after the job's attempts.</summary>
    private void GiveBack(ShardState shard)
    {
        shard.Silo = null;
        shard.Status = shard.Attempts >= Job.Spec!.MaxAttempts ? ShardStatus.Failed : ShardStatus.Pending;
    }

    private async Task RequeueShardsOfDeadSilos()
    {
        if (Job.Status != JobStatus.Running)
        {
            return;
        }

        bool changed = false;
        foreach ((ShardState shard, int index) in Job.Shards.Select((s, i) => (s, i)))
        {
            if (shard is { Status: ShardStatus.Running, Silo: { } silo }
                && membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(silo)) == SiloStatus.Dead)
            {
                LogSiloDead(JobId, index, SiloNames.Display(silo));
                shard.LastError = $"its silo {SiloNames.Display(silo)} died during attempt {shard.Attempts}.";
                shard.ErrorLine = null;
                GiveBack(shard);
                changed = true;
            }
        }

        if (changed)
        {
            await EndIfFinished();
            await state.WriteStateAsync();
        }
    }

    private async Task EndIfFinished()
    {
        if (Job.Shards.Any(s => s.Status is ShardStatus.Pending or ShardStatus.Running))
        {
            return;
        }

        Job.Status = Job.Shards.All(s => s.Status == ShardStatus.Done) ? JobStatus.Completed : JobStatus.Failed;
        Job.Finished = DateTime.UtcNow;
        LogEnded(JobId, Job.Status);
        StopTimer();
        await GrainFactory.GetGrain<IJobRegistryGrain>(0).Ended(JobId);
    }

    private void StartTimer() =>
        timer ??= this.RegisterGrainTimer(_ => RequeueShardsOfDeadSilos(), new GrainTimerCreationOptions(DeadSiloCheck, DeadSiloCheck) { KeepAlive = true });

    private void StopTimer()
    {
        timer?.Dispose();
        timer = null;
    }

    private JobProgress Progress()
    {
        JobSpec? spec = Job.Spec;
        if (spec is null)
        {
            return new JobProgress { JobId = JobId, Status = JobStatus.None };
        }

        var shards = spec.Shards.Zip(Job.Shards).ToList();
        return new JobProgress
        {
            JobId = JobId,
            Status = Job.Status,
            TotalLines = shards.Sum(s => (long)s.First.LineCount),
            LinesDone = shards.Where(s => s.Second.Status == ShardStatus.Done).Sum(s => (long)s.First.LineCount),
            Shards = shards.Count,
            ShardsDone = shards.Count(s => s.Second.Status == ShardStatus.Done),
            RunningPerSilo = Job.Shards.Where(s => s is { Status: ShardStatus.Running, Silo: not null })
                .GroupBy(s => SiloNames.Display(s.Silo!)).ToDictionary(g => g.Key, g => g.Count()),
            Errors = [.. shards.Where(s => s.Second.Status == ShardStatus.Failed)
                .Select(s => $"shard {s.First.Index} (lines {s.First.FirstLine}-{s.First.FirstLine + s.First.LineCount - 1}) failed {s.Second.Attempts} times; last: {s.Second.LastError}")],
            SiloProblems = [.. Job.SiloProblems],
            Retries = Job.Shards.Sum(s => Math.Max(0, s.Attempts - 1)),
            Submitted = Job.Submitted,
            Finished = Job.Finished,
            InputPath = spec.InputPath,
            Task = Batch.JsonlTaskSettings.FromJson(spec.TaskSettingsJson).TaskName,
            ShardSeconds = Job.Shards.Sum(s => s.Seconds),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: {Shards} shards of {Input}")]
    private partial void LogSubmitted(string jobId, int shards, string input);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: shard {Shard} attempt {Attempt} failed: {Error}")]
    private partial void LogShardFailed(string jobId, int shard, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: shard {Shard} goes back to pending, its silo {Silo} is dead")]
    private partial void LogSiloDead(string jobId, int shard, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: {Problem}")]
    private partial void LogSiloProblem(string jobId, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: {Status}")]
    private partial void LogEnded(string jobId, JobStatus status);
}
