using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace AlbertGen.Cluster.Jobs;

/// <summary>
/// The job: its shard table lives in persisted state (Redis in a real cluster), so the grain can be reactivated on any
/// silo after its own silo dies and carry on where it was. Silos pull shards with <see cref="Lease"/>; a shard whose
/// lease expired or whose silo membership declares dead goes back to pending, checked on every call and once a second
/// while the job runs.
/// </summary>
internal sealed partial class JobGrain(
    [PersistentState("job", ClusterNames.Storage)] IPersistentState<JobState> state,
    [PersistentState("spec", ClusterNames.Storage)] IPersistentState<JobSpecState> specState,
    IClusterMembershipService membership,
    ILocalSiloDetails localSilo,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    private static readonly TimeSpan LostShardCheck = TimeSpan.FromSeconds(1);
    private IGrainTimer? timer;

    private JobState Job => state.State;

    private JobSpec? Spec => specState.State.Spec;

    private string JobId => this.GetPrimaryKeyString();

    /// <summary>
    /// A submission that a crash cut short is finished here as well as on resubmission, and a running job registers
    /// again: the registry's write may be the one that was lost, and silos only poll registered jobs. Running leases get
    /// a full lease time from now, since renewals (not persisted) went to the previous activation.
    /// </summary>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Spec is null)
        {
            return Task.CompletedTask;
        }

        DateTime grace = DateTime.UtcNow + Spec.LeaseTime;
        foreach (ShardLeaseState lease in Job.Running.Values.Where(l => l.Deadline < grace))
        {
            lease.Deadline = grace;
        }

        return FinishSubmission();
    }

    public async Task<JobProgress> Submit(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.JobId() != JobId)
        {
            throw new ArgumentException($"the spec's job id is {spec.JobId()}, not {JobId}; submit it to its own job.");
        }

        if (Spec is { } existing)
        {
            if (existing.Difference(spec) is { } difference)
            {
                throw new ArgumentException($"job {JobId} exists and {difference}; run it with the job's options to attach to it, or choose another --output for a new job.");
            }

            await FinishSubmission();
            return Progress();
        }

        spec.Validate();
        specState.State.Spec = spec;
        await specState.WriteStateAsync();
        LogSubmitted(JobId, spec.Shards.Count, spec.InputPath);
        await FinishSubmission();
        return Progress();
    }

    /// <summary>The steps after the spec is written, each done only if not done yet: shard table, then registration.</summary>
    private async Task FinishSubmission()
    {
        if (Job.Status == JobStatus.None)
        {
            Job.Status = JobStatus.Running;
            Job.Submitted = DateTime.UtcNow;
            Job.ModelSha256 = Spec!.Model.Sha256;
            Job.Shards = new byte[Spec.Shards.Count];
            Job.Attempts = new byte[Spec.Shards.Count];
            await state.WriteStateAsync();
        }

        IJobRegistryGrain registry = GrainFactory.GetGrain<IJobRegistryGrain>(0);
        if (Job.Status == JobStatus.Running)
        {
            await registry.Started(JobId);
            StartTimer();
        }
        else
        {
            await registry.Ended(JobId);
        }
    }

    public Task<ModelReference?> GetModel() =>
        Task.FromResult(Job.Status == JobStatus.Running ? Spec!.Model with { Sha256 = Job.ModelSha256 } : null);

    public async Task<ShardLease?> Lease(string silo, string modelSha256)
    {
        await RequeueLostShards();
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

        DateTime now = DateTime.UtcNow;
        var lease = new ShardLeaseState { Silo = silo, LeasedAt = now, LeaseId = ++Job.LastLeaseId, Deadline = now + Spec!.LeaseTime };
        Job.Shards[index] = (byte)ShardStatus.Running;
        Job.Attempts[index]++;
        Job.Running[index] = lease;
        await state.WriteStateAsync();
        return new ShardLease { JobId = JobId, Spec = Spec, Shard = Spec.Shards[index], Attempt = Job.Attempts[index], LeaseId = lease.LeaseId, Deadline = lease.Deadline };
    }

    public async Task<DateTime?> Renew(int shard, long leaseId)
    {
        await RequeueLostShards();
        if (CurrentLease(shard, leaseId) is not { } lease)
        {
            return null;
        }

        // Not persisted on every renewal: a job grain that moves to another silo reads an older deadline, and the
        // worker's next renewal (well within the lease time) moves it on again.
        lease.Deadline = DateTime.UtcNow + Spec!.LeaseTime;
        return lease.Deadline;
    }

    public async Task<bool> Complete(int shard, long leaseId, ShardDone done)
    {
        ArgumentNullException.ThrowIfNull(done);
        if (CurrentLease(shard, leaseId) is null)
        {
            LogLateResult(JobId, shard, leaseId);
            return false;
        }

        if (!PartFiles.Publish(Spec!.OutputDirectory, Spec.Shards[shard], done.TemporaryFile))
        {
            Job.Errors[shard] = new ShardError { Message = $"the results of lease {leaseId} ({done.TemporaryFile}) are not in {Spec.OutputDirectory}; is the folder shared by every silo?" };
            GiveBack(shard);
            await EndIfFinished();
            await state.WriteStateAsync();
            return false;
        }

        Job.Shards[shard] = (byte)ShardStatus.Done;
        Job.Running.Remove(shard);
        Job.Errors.Remove(shard);
        Job.ShardSeconds += done.Seconds;
        await EndIfFinished();
        await state.WriteStateAsync();
        return true;
    }

    public async Task Fail(int shard, long leaseId, ShardFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (CurrentLease(shard, leaseId) is null)
        {
            return;
        }

        LogShardFailed(JobId, shard, Job.Attempts[shard], failure.Message);
        Job.Errors[shard] = new ShardError { Message = failure.Message, Line = failure.Line };
        GiveBack(shard);
        await EndIfFinished();
        await state.WriteStateAsync();
    }

    public async Task Release(int shard, long leaseId, string reason)
    {
        if (CurrentLease(shard, leaseId) is null)
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
        await RequeueLostShards();
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

    private ShardLeaseState? CurrentLease(int shard, long leaseId) =>
        Job.Status == JobStatus.Running && Job.Running.TryGetValue(shard, out ShardLeaseState? lease) && lease.LeaseId == leaseId ? lease : null;

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

    /// <summary>Shards whose lease expired (their worker stopped renewing) or whose silo membership declares dead go back to pending.</summary>
    private async Task RequeueLostShards()
    {
        if (Job.Status != JobStatus.Running)
        {
            return;
        }

        DateTime now = DateTime.UtcNow;
        var lost = new List<(int Shard, string Why)>();
        foreach ((int shard, ShardLeaseState lease) in Job.Running)
        {
            string silo = SiloNames.Display(lease.Silo);
            if (membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(lease.Silo)) == SiloStatus.Dead)
            {
                lost.Add((shard, $"its silo {silo} died during attempt {Job.Attempts[shard]}."));
            }
            else if (lease.Deadline < now)
            {
                lost.Add((shard, FormattableString.Invariant(
                    $"lease {lease.LeaseId} on {silo} expired at {lease.Deadline:HH:mm:ss.f}Z during attempt {Job.Attempts[shard]}: its worker made no progress for {Spec!.LeaseTime.TotalSeconds:0.#} s.")));
            }
        }

        foreach ((int shard, string why) in lost)
        {
            LogShardLost(JobId, shard, why);
            Job.Errors[shard] = new ShardError { Message = why };
            GiveBack(shard);
        }

        if (lost.Count > 0)
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
        PartFiles.DeleteLeftovers(Spec!.OutputDirectory);
        LogEnded(JobId, Job.Status);
        StopTimer();
        await GrainFactory.GetGrain<IJobRegistryGrain>(0).Ended(JobId);
    }

    private void StartTimer() =>
        timer ??= this.RegisterGrainTimer(_ => RequeueLostShards(), new GrainTimerCreationOptions(LostShardCheck, LostShardCheck) { KeepAlive = true });

    private void StopTimer()
    {
        timer?.Dispose();
        timer = null;
    }

    private JobProgress Progress()
    {
        if (Spec is not { } spec)
        {
            return new JobProgress { JobId = JobId, Status = JobStatus.None, GrainSilo = localSilo.SiloAddress.Endpoint.ToString() };
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
            LeaseTime = spec.LeaseTime,
            LeaseRenewal = spec.LeaseRenewal,
            Leases = [.. Job.Running.OrderBy(r => r.Key).Select(r => new ShardLeaseRow
            {
                Shard = r.Key, Silo = SiloNames.Display(r.Value.Silo), Since = r.Value.LeasedAt, Deadline = r.Value.Deadline, LeaseId = r.Value.LeaseId, Attempt = Job.Attempts[r.Key],
            })],
            GrainSilo = localSilo.SiloAddress.Endpoint.ToString(),
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: {Shards} shards of {Input}")]
    private partial void LogSubmitted(string jobId, int shards, string input);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: shard {Shard} attempt {Attempt} failed: {Error}")]
    private partial void LogShardFailed(string jobId, int shard, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: shard {Shard} goes back to pending: {Why}")]
    private partial void LogShardLost(string jobId, int shard, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: shard {Shard}: the result of lease {LeaseId}, no longer current, is discarded")]
    private partial void LogLateResult(string jobId, int shard, long leaseId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: {Problem}")]
    private partial void LogSiloProblem(string jobId, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: {Status}")]
    private partial void LogEnded(string jobId, JobStatus status);
}
