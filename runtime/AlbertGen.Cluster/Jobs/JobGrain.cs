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
    [PersistentState("spec", ClusterNames.Storage)] IPersistentState<JobSpecState> specState,
    IClusterMembershipService membership,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    private static readonly TimeSpan DeadSiloCheck = TimeSpan.FromSeconds(1);
    private IGrainTimer? timer;

    private JobState Job => state.State;

    private JobSpec? Spec => specState.State.Spec;

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
        if (Spec is { } existing)
        {
            return existing.SameWork(spec)
                ? Progress()
                : throw new ArgumentException($"job '{JobId}' exists with other work (input {existing.InputPath}, output {existing.OutputDirectory}); choose another --job id.");
        }

        if (spec.Shards.Count == 0)
        {
            throw new ArgumentException($"{spec.InputPath}: the input has no lines.");
        }

        if (spec.MaxAttempts is < 1 or > byte.MaxValue)
        {
            throw new ArgumentException($"--max-attempts must be between 1 and {byte.MaxValue}, not {spec.MaxAttempts}.");
        }

        specState.State.Spec = spec;
        await specState.WriteStateAsync();
        Job.Status = JobStatus.Running;
        Job.Submitted = DateTime.UtcNow;
        Job.ModelSha256 = spec.Model.Sha256;
        Job.Shards = new byte[spec.Shards.Count];
        Job.Attempts = new byte[spec.Shards.Count];
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IJobRegistryGrain>(0).Started(JobId);
        StartTimer();
        LogSubmitted(JobId, spec.Shards.Count, spec.InputPath);
        return Progress();
    }

    public Task<ModelReference?> GetModel() =>
        Task.FromResult(Job.Status == JobStatus.Running ? Spec!.Model with { Sha256 = Job.ModelSha256 } : null);

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
            await ReportSiloProblem(silo, $"its copy of {Spec!.Model} has SHA-256 {modelSha256}, the job's has {Job.ModelSha256}; it takes none of the job's shards.");
            return null;
        }

        int index = Array.IndexOf(Job.Shards, (byte)ShardStatus.Pending);
        if (index < 0)
        {
            return null;
        }

        Job.Shards[index] = (byte)ShardStatus.Running;
        Job.Attempts[index]++;
        Job.Running[index] = new ShardLeaseState { Silo = silo, LeasedAt = DateTime.UtcNow };
        await state.WriteStateAsync();
        return new ShardLease { JobId = JobId, Spec = Spec!, Shard = Spec!.Shards[index], Attempt = Job.Attempts[index] };
    }

    public async Task Complete(int shard, int attempt, ShardDone done)
    {
        ArgumentNullException.ThrowIfNull(done);
        if (!IsCurrentLease(shard, attempt))
        {
            // A retried shard's earlier attempt finishing late: its part is the same file, renamed over the same name.
            return;
        }

        Job.Shards[shard] = (byte)ShardStatus.Done;
        Job.Running.Remove(shard);
        Job.Errors.Remove(shard);
        Job.ShardSeconds += done.Seconds;
        await EndIfFinished();
        await state.WriteStateAsync();
    }

    public async Task Fail(int shard, int attempt, ShardFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (!IsCurrentLease(shard, attempt))
        {
            return;
        }

        LogShardFailed(JobId, shard, attempt, failure.Message);
        Job.Errors[shard] = new ShardError { Message = failure.Message, Line = failure.Line };
        GiveBack(shard);
        await EndIfFinished();
        await state.WriteStateAsync();
    }

    public async Task Release(int shard, int attempt, string reason)
    {
        if (!IsCurrentLease(shard, attempt))
        {
            return;
        }

        Job.Shards[shard] = (byte)ShardStatus.Pending;
        Job.Attempts[shard]--;
        Job.Running.Remove(shard);
        Job.Reruns++;
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

    private bool IsCurrentLease(int shard, int attempt) =>
        Job.Status == JobStatus.Running && shard >= 0 && shard < Job.Shards.Length
        && Job.StatusOf(shard) == ShardStatus.Running && Job.Attempts[shard] == attempt;

    /// <summary>A failed or lost attempt: pending again, or failed for good after the job's attempts.</summary>
    private void GiveBack(int shard)
    {
        Job.Running.Remove(shard);
        if (Job.Attempts[shard] >= Spec!.MaxAttempts)
        {
            Job.Shards[shard] = (byte)ShardStatus.Failed;
        }
        else
        {
            Job.Shards[shard] = (byte)ShardStatus.Pending;
            Job.Reruns++;
        }
    }

    private async Task RequeueShardsOfDeadSilos()
    {
        if (Job.Status != JobStatus.Running)
        {
            return;
        }

        var dead = Job.Running
            .Where(r => membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(r.Value.Silo)) == SiloStatus.Dead)
            .ToList();
        foreach ((int shard, ShardLeaseState lease) in dead)
        {
            string silo = SiloNames.Display(lease.Silo);
            LogSiloDead(JobId, shard, silo);
            Job.Errors[shard] = new ShardError { Message = $"its silo {silo} died during attempt {Job.Attempts[shard]}." };
            GiveBack(shard);
        }

        if (dead.Count > 0)
        {
            await EndIfFinished();
            await state.WriteStateAsync();
        }
    }

    private async Task EndIfFinished()
    {
        if (Job.Shards.Any(s => (ShardStatus)s is ShardStatus.Pending or ShardStatus.Running))
        {
            return;
        }

        Job.Status = Job.Shards.All(s => (ShardStatus)s == ShardStatus.Done) ? JobStatus.Completed : JobStatus.Failed;
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
        if (Spec is not { } spec)
        {
            return new JobProgress { JobId = JobId, Status = JobStatus.None };
        }

        IReadOnlyList<ShardRange> shards = spec.Shards;
        var failed = Enumerable.Range(0, shards.Count).Where(i => Job.StatusOf(i) == ShardStatus.Failed);
        return new JobProgress
        {
            JobId = JobId,
            Status = Job.Status,
            TotalLines = shards.Sum(s => (long)s.LineCount),
            LinesDone = shards.Where(s => Job.StatusOf(s.Index) == ShardStatus.Done).Sum(s => (long)s.LineCount),
            Shards = shards.Count,
            ShardsDone = Job.Shards.Count(s => (ShardStatus)s == ShardStatus.Done),
            RunningPerSilo = Job.Running.Values.GroupBy(r => SiloNames.Display(r.Silo)).ToDictionary(g => g.Key, g => g.Count()),
            Errors = [.. failed.Select(i => $"shard {i} (lines {shards[i].FirstLine}-{shards[i].FirstLine + shards[i].LineCount - 1}) failed {Job.Attempts[i]} times; last: {Job.Errors.GetValueOrDefault(i)?.Message}")],
            SiloProblems = [.. Job.SiloProblems],
            Retries = Job.Reruns,
            Submitted = Job.Submitted,
            Finished = Job.Finished,
            InputPath = spec.InputPath,
            Task = Batch.JsonlTaskSettings.FromJson(spec.TaskSettingsJson).TaskName,
            ShardSeconds = Job.ShardSeconds,
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
