using System.Collections.Concurrent;
using AlbertGen.Batch;
using AlbertGen.Cluster.Jobs;
using AlbertGen.Hub;
using Microsoft.Extensions.Options;

namespace AlbertGen.Cluster.Workers;

/// <summary>
/// A silo's models: a model reference resolved to a local folder and its hash (once per reference), and one loaded
/// task pipeline per model and task settings, shared by every shard that needs it. Only the silo's shard worker
/// uses the loaded tasks, one shard at a time, so a task is never disposed while it runs.
/// </summary>
public sealed class ModelCatalog(IOptions<ClusterWorkerOptions> options) : IDisposable
{
    /// <summary>Loaded tasks kept besides the one in use: enough for a job or two, bounded so a long-lived silo does not fill its memory.</summary>
    private const int LoadedLimit = 2;

    private readonly ConcurrentDictionary<ModelReference, Lazy<(string Directory, string Sha256)>> resolved = new();
    private readonly List<(string Key, JsonlTask Task)> loaded = [];

    /// <summary>The local folder and hash of a model reference (the hash is computed once per reference).</summary>
    /// <exception cref="FileNotFoundException">No default model is configured, or the folder is not a model.</exception>
    /// <exception cref="HubException">A hub id is not in this silo's HuggingFace cache.</exception>
    public (string Directory, string Sha256) Resolve(ModelReference model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var key = model with { Sha256 = null };
        Lazy<(string, string)> entry = resolved.GetOrAdd(key, k => new Lazy<(string, string)>(() =>
        {
            string directory = k.Model is null
                ? options.Value.DefaultModelDirectory ?? throw new FileNotFoundException("this silo has no default model; give the job a --model.")
                : ModelLocator.Locate(k.Model, k.Revision, options.Value.HubCacheDirectory).Directory;
            return (directory, ModelHash.Compute(directory));
        }));
        try
        {
            return entry.Value;
        }
        catch
        {
            // A model copied in later must be found on the next attempt.
            resolved.TryRemove(key, out _);
            throw;
        }
    }

    /// <summary>The loaded task for a model folder and settings, loading it the first time.</summary>
    public JsonlTask Task(string directory, string settingsJson)
    {
        string key = directory + "\n" + settingsJson;
        lock (loaded)
        {
            int found = loaded.FindIndex(l => l.Key == key);
            if (found >= 0)
            {
                var hit = loaded[found];
                loaded.RemoveAt(found);
                loaded.Add(hit);
                return hit.Task;
            }

            while (loaded.Count >= LoadedLimit)
            {
                loaded[0].Task.Dispose();
                loaded.RemoveAt(0);
            }

            JsonlTask task = JsonlTask.Open(directory, JsonlTaskSettings.FromJson(settingsJson) with { Device = options.Value.Device });
            loaded.Add((key, task));
            return task;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (loaded)
        {
            foreach (var (_, task) in loaded)
            {
                task.Dispose();
            }

            loaded.Clear();
        }
    }
}
