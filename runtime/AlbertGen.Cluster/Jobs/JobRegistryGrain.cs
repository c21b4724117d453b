using Orleans.Runtime;

namespace AlbertGen.Cluster.Jobs;

/// <summary>The persisted list of jobs.</summary>
internal sealed class JobRegistryGrain([PersistentState("registry", ClusterNames.Storage)] IPersistentState<JobRegistryState> state) : Grain, IJobRegistryGrain
{
    public async Task Started(string jobId)
    {
        if (!state.State.All.Contains(jobId))
        {
            state.State.All.Add(jobId);
        }

        if (state.State.Running.Add(jobId))
        {
            await state.WriteStateAsync();
        }
    }

    public async Task Ended(string jobId)
    {
        if (state.State.Running.Remove(jobId))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<IReadOnlyList<string>> RunningJobs() => Task.FromResult<IReadOnlyList<string>>([.. state.State.All.Where(state.State.Running.Contains)]);

    public Task<IReadOnlyList<string>> AllJobs() => Task.FromResult<IReadOnlyList<string>>([.. state.State.All]);
}

/// <summary>The registry's persisted state.</summary>
[GenerateSerializer]
public sealed class JobRegistryState
{
    /// <summary>Every job id, oldest first.</summary>
    [Id(0)] public List<string> All { get; set; } = [];

    /// <summary>Ids of jobs still running.</summary>
    [Id(1)] public HashSet<string> Running { get; set; } = [];
}
