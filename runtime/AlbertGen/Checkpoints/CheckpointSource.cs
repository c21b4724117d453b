using System.Text.Json;

namespace AlbertGen.Checkpoints;

/// <summary>
/// The tensors of a checkpoint: one safetensors file or the shards named by a <c>model.safetensors.index.json</c>.
/// </summary>
internal sealed class CheckpointSource : IDisposable
{
    private readonly List<SafetensorsFile> _files = new();
    private readonly Dictionary<string, SafetensorsFile> _owner = new(StringComparer.Ordinal);

    private CheckpointSource(string path)
    {
        Path = path;
    }

    /// <summary>The file loaded (safetensors file or index).</summary>
    public string Path { get; }

    /// <summary>Every tensor name with its header entry.</summary>
    public IEnumerable<SafetensorsTensorInfo> Tensors => _owner.Select(kv => kv.Value.Tensors[kv.Key]);

    /// <summary>Whether the checkpoint has a tensor of that name.</summary>
    public bool Contains(string name) => _owner.ContainsKey(name);

    /// <summary>The header entry of a tensor.</summary>
    public SafetensorsTensorInfo Info(string name) => _owner[name].Tensors[name];

    /// <summary>Copies a tensor into a destination with the same element count.</summary>
    public void CopyTo(string name, TorchSharp.torch.Tensor destination) => _owner[name].CopyTo(name, destination);

    /// <summary>
    /// Opens a checkpoint: a <c>.safetensors</c> file, an index <c>.json</c>, or a directory with <c>model.safetensors</c> or
    /// <c>model.safetensors.index.json</c>.
    /// </summary>
    /// <exception cref="CheckpointException">Nothing usable at the path, or a pickle checkpoint.</exception>
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
                source.Add(SafetensorsFile.Open(file));
            }

            return source;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private static string Resolve(string path)
    {
        if (Directory.Exists(path))
        {
            foreach (string candidate in new[] { "model.safetensors", "model.safetensors.index.json" })
            {
                string full = System.IO.Path.Combine(path, candidate);
                if (File.Exists(full))
                {
                    return full;
                }
            }

            string? pickle = new[] { "pytorch_model.bin", "pytorch_model.bin.index.json" }
                .Select(n => System.IO.Path.Combine(path, n)).FirstOrDefault(File.Exists);
            if (pickle is not null)
            {
                throw PickleRefused(pickle);
            }

            throw new CheckpointException($"{path}: no model.safetensors or model.safetensors.index.json in this directory.");
        }

        if (!File.Exists(path))
        {
            throw new CheckpointException($"{path}: no such checkpoint file or directory.");
        }

        string name = System.IO.Path.GetFileName(path);
        if (name.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".pt", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase)
            || name.Equals("pytorch_model.bin.index.json", StringComparison.OrdinalIgnoreCase))
        {
            throw PickleRefused(path);
        }

        return path;
    }

    private static CheckpointException PickleRefused(string path) => new(
        $"{path}: PyTorch pickle checkpoints are not loaded, because unpickling can execute arbitrary code. Convert it to safetensors " +
        "once in Python, for example: `from transformers import AutoModel; AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)` " +
        "or `safetensors.torch.save_file(torch.load(path, weights_only=True), 'model.safetensors')`, then load the .safetensors file.");

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
                throw new SafetensorsFormatException(indexPath, "a sharded index must be an object with a 'weight_map' object.");
            }

            foreach (JsonProperty entry in map.EnumerateObject())
            {
                string shard = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : "";
                if (shard.Length == 0 || shard != System.IO.Path.GetFileName(shard) || shard is "." or "..")
                {
                    throw new SafetensorsFormatException(indexPath, $"weight_map entry '{entry.Name}' must name a shard file in the same directory, found {entry.Value.GetRawText()}.");
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
            throw new SafetensorsFormatException(indexPath, $"the index is not valid JSON ({e.Message}).", e);
        }

        foreach ((string shard, List<string> names) in shards)
        {
            string shardPath = System.IO.Path.Combine(directory, shard);
            if (!File.Exists(shardPath))
            {
                throw new CheckpointException($"{indexPath}: shard '{shard}' (holding '{names[0]}'…) does not exist.");
            }

            SafetensorsFile file = SafetensorsFile.Open(shardPath);
            _files.Add(file);
            foreach (string name in names)
            {
                if (!file.Tensors.ContainsKey(name))
                {
                    throw new SafetensorsFormatException(indexPath, $"weight_map puts '{name}' in '{shard}', which has no such tensor.");
                }

                _owner[name] = file;
            }
        }
    }

    private void Add(SafetensorsFile file)
    {
        _files.Add(file);
        foreach (string name in file.Tensors.Keys)
        {
            _owner[name] = file;
        }
    }

    public void Dispose()
    {
        foreach (SafetensorsFile f in _files)
        {
            f.Dispose();
        }
    }
}
