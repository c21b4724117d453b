using System.Text.Json;
using static TorchSharp.torch;

namespace AlbertGen.Checkpoints;

/// <summary>What <see cref="SafetensorsConverter.Convert"/> wrote.</summary>
/// <param name="OutputDirectory">The new model folder.</param>
/// <param name="SourceFiles">The weights files read, each with its format.</param>
/// <param name="WeightFiles">The safetensors files written (and the index when sharded), by name.</param>
/// <param name="TensorCount">Tensors written.</param>
/// <param name="TotalBytes">Bytes of tensor data written.</param>
/// <param name="SkippedTensors">Checkpoint tensors left out as HuggingFace's safetensors files leave them out: the tied decoder copies and the <c>position_ids</c> buffer.</param>
/// <param name="CopiedFiles">Other files of the model folder copied as they are (config, tokenizer files, …).</param>
public sealed record SafetensorsConversion(
    string OutputDirectory,
    IReadOnlyList<(string File, CheckpointFormat Format)> SourceFiles,
    IReadOnlyList<string> WeightFiles,
    int TensorCount,
    long TotalBytes,
    IReadOnlyList<string> SkippedTensors,
    IReadOnlyList<string> CopiedFiles);

/// <summary>
/// Writes a model folder's weights, in whatever format it has them, as HuggingFace safetensors (<c>model.safetensors</c>,
/// or shards <c>model-0000K-of-0000N.safetensors</c> with <c>model.safetensors.index.json</c> above the shard size),
/// beside copies of its other files, so that a PyTorch, Flax or TensorFlow checkpoint is converted once.
/// </summary>
public static class SafetensorsConverter
{
    /// <summary>HuggingFace's default shard size for <c>save_pretrained</c>: 5 GB (decimal).</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    /// <summary>Index file of a sharded safetensors checkpoint.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>
    /// Converts <paramref name="modelDirectory"/> into <paramref name="outputDirectory"/>. Everything is written into a
    /// temporary folder beside the output, checked by reading it back, and renamed into place only when complete: on any
    /// failure nothing is left at <paramref name="outputDirectory"/>.
    /// </summary>
    /// <param name="modelDirectory">A model folder (weights in any supported format, config and tokenizer files).</param>
    /// <param name="outputDirectory">Where to write; must not exist, or be an empty directory.</param>
    /// <param name="maxShardBytes">Largest shard; a checkpoint above it is sharded. A tensor larger than this gets a shard of its own.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="CheckpointException">The source cannot be read, or the output folder exists and is not empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxShardBytes"/> is not positive.</exception>
    public static SafetensorsConversion Convert(string modelDirectory, string outputDirectory, long maxShardBytes = DefaultMaxShardBytes)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        ArgumentNullException.ThrowIfNull(outputDirectory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        string output = Path.GetFullPath(outputDirectory);
        if (File.Exists(output) || (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any()))
        {
            throw new CheckpointException($"{output}: the output already exists and is not an empty directory; choose a new folder.");
        }

        if (!Directory.Exists(modelDirectory))
        {
            throw new CheckpointException($"{modelDirectory}: not a model directory.");
        }

        string parent = Path.GetDirectoryName(output) ?? throw new CheckpointException($"{output}: cannot be an output folder.");
        Directory.CreateDirectory(parent);
        string temporary = Path.Combine(parent, $".{Path.GetFileName(output)}.converting-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            SafetensorsConversion result = WriteInto(modelDirectory, temporary, maxShardBytes);
            if (Directory.Exists(output))
            {
                Directory.Delete(output);
            }

            Directory.Move(temporary, output);
            return result with { OutputDirectory = output };
        }
        catch
        {
            Directory.Delete(temporary, recursive: true);
            throw;
        }
    }

    private static SafetensorsConversion WriteInto(string modelDirectory, string folder, long maxShardBytes)
    {
        using CheckpointSource source = CheckpointSource.Open(modelDirectory);
        List<CheckpointTensorInfo> all = source.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var names = new HashSet<string>(all.Select(t => t.Name), StringComparer.Ordinal);
        List<string> skipped = all.Where(t => IsTiedCopyOrBuffer(t.Name, names)).Select(t => t.Name).ToList();
        List<CheckpointTensorInfo> tensors = all.Where(t => !skipped.Contains(t.Name)).ToList();

        List<List<CheckpointTensorInfo>> shards = Plan(tensors, maxShardBytes);
        var weightFiles = new List<string>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string file = shards.Count == 1 ? "model.safetensors" : $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            using (NewDisposeScope())
            {
                var staged = new List<KeyValuePair<string, Tensor>>();
                foreach (CheckpointTensorInfo t in shards[i])
                {
                    Tensor tensor = empty(t.Shape.ToArray(), SafetensorsDTypes.ToScalarType(t.DType));
                    source.CopyTo(t.Name, tensor);
                    staged.Add(new(t.Name, tensor));
                    weightMap[t.Name] = file;
                }

                SafetensorsWriter.Write(Path.Combine(folder, file), staged);
            }

            weightFiles.Add(file);
        }

        long totalBytes = tensors.Sum(t => t.ByteCount);
        if (shards.Count > 1)
        {
            WriteIndex(Path.Combine(folder, IndexFileName), totalBytes, weightMap);
            weightFiles.Add(IndexFileName);
        }

        CheckReadBack(folder, tensors);
        List<string> copied = CopyOtherFiles(modelDirectory, folder);
        return new SafetensorsConversion(folder, source.Files, weightFiles, tensors.Count, totalBytes, skipped, copied);
    }

    /// <summary>What HuggingFace leaves out of safetensors: tied copies (shared storage cannot be stored twice) and the position buffer.</summary>
    private static bool IsTiedCopyOrBuffer(string name, HashSet<string> names) =>
        name.EndsWith("embeddings.position_ids", StringComparison.Ordinal)
        || (name == "predictions.decoder.bias" && names.Contains("predictions.bias"))
        || (name == "predictions.decoder.weight"
            && (names.Contains("albert.embeddings.word_embeddings.weight") || names.Contains("embeddings.word_embeddings.weight")));

    /// <summary>Tensors in name order, a new shard whenever the next tensor would push the current one past the limit.</summary>
    private static List<List<CheckpointTensorInfo>> Plan(List<CheckpointTensorInfo> tensors, long maxShardBytes)
    {
        var shards = new List<List<CheckpointTensorInfo>> { new() };
        long size = 0;
        foreach (CheckpointTensorInfo t in tensors)
        {
            if (shards[^1].Count > 0 && size + t.ByteCount > maxShardBytes)
            {
                shards.Add(new List<CheckpointTensorInfo>());
                size = 0;
            }

            shards[^1].Add(t);
            size += t.ByteCount;
        }

        return shards;
    }

    private static void WriteIndex(string path, long totalBytes, SortedDictionary<string, string> weightMap)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("metadata");
        json.WriteNumber("total_size", totalBytes);
        json.WriteEndObject();
        json.WriteStartObject("weight_map");
        foreach ((string name, string file) in weightMap)
        {
            json.WriteString(name, file);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Opens what was written as a loader would and checks every tensor is there with its dtype and shape.</summary>
    private static void CheckReadBack(string folder, List<CheckpointTensorInfo> expected)
    {
        using CheckpointSource written = CheckpointSource.Open(folder);
        foreach (CheckpointTensorInfo t in expected)
        {
            CheckpointTensorInfo? found = written.Contains(t.Name) ? written.Info(t.Name) : null;
            if (found is null || found.DType != t.DType || !found.Shape.SequenceEqual(t.Shape))
            {
                throw new CheckpointException($"{folder}: '{t.Name}' did not read back as {SafetensorsDTypes.Name(t.DType)} {t.ShapeText}.");
            }
        }
    }

    private static List<string> CopyOtherFiles(string modelDirectory, string folder)
    {
        var copied = new List<string>();
        foreach (string file in Directory.EnumerateFiles(modelDirectory).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if (IsWeightsFile(name) || name.StartsWith('.'))
            {
                continue;
            }

            File.Copy(file, Path.Combine(folder, name));
            copied.Add(name);
        }

        return copied;
    }

    private static bool IsWeightsFile(string name) =>
        CheckpointSource.WeightFileNames.Contains(name)
        || name.EndsWith(".safetensors", StringComparison.Ordinal) || name.EndsWith(".bin", StringComparison.Ordinal)
        || name.EndsWith(".msgpack", StringComparison.Ordinal) || name.EndsWith(".h5", StringComparison.Ordinal)
        || name.EndsWith(".pt", StringComparison.Ordinal) || name.EndsWith(".pth", StringComparison.Ordinal)
        || name.EndsWith(".ckpt", StringComparison.Ordinal) || name.EndsWith(".onnx", StringComparison.Ordinal);
}
