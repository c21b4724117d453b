using System.Text.Json;

namespace AlbertGen.Checkpoints;

/// <summary>
/// The tensors of a checkpoint: one weights file, or the shards an index (<c>*.index.json</c>) names, in any supported
/// format. A directory is read as HuggingFace's <c>from_pretrained</c> reads it: the first present of
/// <see cref="WeightFileNames"/>.
/// </summary>
internal sealed class CheckpointSource : IDisposable
{
    /// <summary>
    /// The weights files of a checkpoint folder in HuggingFace's order of preference: safetensors (single, sharded), PyTorch
    /// (single, sharded), Flax (single, sharded), TensorFlow (single, sharded). The first present is the one loaded.
    /// </summary>
    public static readonly IReadOnlyList<string> WeightFileNames =
    [
        "model.safetensors", "model.safetensors.index.json",
        "pytorch_model.bin", "pytorch_model.bin.index.json",
        "flax_model.msgpack", "flax_model.msgpack.index.json",
        "tf_model.h5", "tf_model.h5.index.json",
    ];

    private readonly List<ICheckpointFile> _files = new();
    private readonly Dictionary<string, ICheckpointFile> _owner = new(StringComparer.Ordinal);

    private CheckpointSource(string path)
    {
        Path = path;
    }

    /// <summary>The file loaded (a weights file or an index).</summary>
    public string Path { get; }

    /// <summary>The weights files read, each with its format.</summary>
    public IReadOnlyList<(string File, CheckpointFormat Format)> Files => _files.Select(f => (f.FilePath, f.Format)).ToList();

    /// <summary>Every tensor with its PyTorch name, stored dtype and PyTorch shape.</summary>
    public IEnumerable<CheckpointTensorInfo> Tensors => _owner.Select(kv => kv.Value.Tensors[kv.Key]);

    /// <summary>Whether the checkpoint has a tensor of that name.</summary>
    public bool Contains(string name) => _owner.ContainsKey(name);

    /// <summary>The description of a tensor.</summary>
    public CheckpointTensorInfo Info(string name) => _owner[name].Tensors[name];

    /// <summary>Copies a tensor into a destination with the same element count, converting dtype and device.</summary>
    public void CopyTo(string name, TorchSharp.torch.Tensor destination) => _owner[name].CopyTo(name, destination);

    /// <summary>
    /// Opens a checkpoint: a weights file (<c>.safetensors</c>, <c>.bin</c>, <c>.msgpack</c>, <c>.h5</c>), a sharded index
    /// <c>.json</c>, or a directory holding one of <see cref="WeightFileNames"/>.
    /// </summary>
    /// <exception cref="CheckpointException">Nothing usable at the path, or a malformed or hostile file.</exception>
    public static CheckpointSource Open(string fileOrDirectory)
    {
        string file = Resolve(fileOrDirectory);
        var source = new CheckpointSource(file);
        try
        {
            if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                source.OpenIndex(file);
            }
            else
            {
                source.Add(CheckpointFiles.Open(file));
            }

            return source;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>The weights file a directory would be loaded from, or null when it has none.</summary>
    public static string? FindWeights(string directory) =>
        WeightFileNames.Select(n => System.IO.Path.Combine(directory, n)).FirstOrDefault(File.Exists);

    private static string Resolve(string path)
    {
        if (Directory.Exists(path))
        {
            return FindWeights(path) ?? throw new CheckpointException(
                $"{path}: no weights in this directory (looked for {string.Join(", ", WeightFileNames)}).");
        }

        return File.Exists(path) ? path : throw new CheckpointException($"{path}: no such checkpoint file or directory.");
    }

    private void OpenIndex(string indexPath)
    {
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        var shards = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointFormatException(indexPath, "a sharded index must be an object with a 'weight_map' object.");
            }

            foreach (JsonProperty entry in map.EnumerateObject())
            {
                string shard = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : "";
                if (shard.Length == 0 || shard != System.IO.Path.GetFileName(shard) || shard is "." or "..")
                {
                    throw new CheckpointFormatException(indexPath, $"weight_map entry '{entry.Name}' must name a shard file in the same directory, found {entry.Value.GetRawText()}.");
                }

                if (!shards.TryGetValue(shard, out List<string>? names))
                {
                    shards[shard] = names = new List<string>();
                }

                names.Add(entry.Name);
            }
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(indexPath, $"the index is not valid JSON ({e.Message}).", e);
        }

        foreach ((string shard, List<string> names) in shards)
        {
            string shardPath = System.IO.Path.Combine(directory, shard);
            if (!File.Exists(shardPath))
            {
                throw new CheckpointException($"{indexPath}: shard '{shard}' (holding '{names[0]}'…) does not exist.");
            }

            ICheckpointFile file = CheckpointFiles.Open(shardPath);
            _files.Add(file);
            foreach (string name in names)
            {
                if (!file.Tensors.ContainsKey(name))
                {
                    throw new CheckpointFormatException(indexPath, $"weight_map puts '{name}' in '{shard}', which has no such tensor.");
                }

                _owner[name] = file;
            }
        }
    }

    private void Add(ICheckpointFile file)
    {
        _files.Add(file);
        foreach (string name in file.Tensors.Keys)
        {
            _owner[name] = file;
        }
    }

    public void Dispose()
    {
        foreach (ICheckpointFile f in _files)
        {
            f.Dispose();
        }
    }
}
