using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace AlbertGen.Cluster.Tests;

/// <summary>
/// Grain storage that outlives any one silo of an in-process test cluster, as Redis does for a real cluster. Orleans'
/// memory storage keeps each entry on one of the silos, so killing that silo lost a job's spec while its progress
/// survived elsewhere. Entries are deep copies, keyed by the cluster's id, with ETags checked as a real provider does.
/// </summary>
internal sealed class ProcessWideGrainStorage(DeepCopier copier, IOptions<ClusterOptions> cluster) : IGrainStorage
{
    private static readonly ConcurrentDictionary<(string Cluster, string State, GrainId Grain), (object Value, string ETag)> Entries = new();

    private readonly string _clusterId = cluster.Value.ClusterId;

    /// <summary>Writes a grain's state as a silo that crashed part-way would have left it.</summary>
    public static void Put(string clusterId, string stateName, GrainId grain, object state) =>
        Entries[(clusterId, stateName, grain)] = (state, Guid.NewGuid().ToString("N"));

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Entries.TryGetValue((_clusterId, stateName, grainId), out var entry))
        {
            grainState.State = copier.Copy((T)entry.Value);
            grainState.ETag = entry.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = (_clusterId, stateName, grainId);
        lock (Entries)
        {
            if (Entries.TryGetValue(key, out var entry) ? entry.ETag != grainState.ETag : grainState.ETag is not null)
            {
                throw new InconsistentStateException($"{stateName} of {grainId} was written by another activation.", entry.ETag, grainState.ETag);
            }

            string etag = Guid.NewGuid().ToString("N");
            Entries[key] = (copier.Copy(grainState.State)!, etag);
            grainState.ETag = etag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Entries.TryRemove((_clusterId, stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}
