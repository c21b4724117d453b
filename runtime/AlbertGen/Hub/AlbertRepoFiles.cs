using System.Text.Json;

namespace AlbertGen.Hub;

/// <summary>The files of an ALBERT checkpoint in HuggingFace layout, and how to tell whether a folder has them all.</summary>
internal static class AlbertRepoFiles
{
    public const string Config = "config.json";
    public const string SentencePiece = "spiece.model";
    public const string TokenizerJson = "tokenizer.json";
    public const string Weights = "model.safetensors";
    public const string WeightsIndex = "model.safetensors.index.json";

    /// <summary>
    /// The shard file names an index lists under <c>weight_map</c>, each checked to stay inside
    /// <paramref name="snapshotFolder"/>, in order of first appearance.
    /// </summary>
    /// <exception cref="HubException">The index is not valid JSON of that shape, or a name is unsafe.</exception>
    public static IReadOnlyList<string> ReadShardNames(string indexPath, string snapshotFolder, string source)
    {
        string? problem = ContentValidation.Check(WeightsIndex, indexPath);
        if (problem is not null)
        {
            throw new HubException(HubErrorKind.InvalidContent, $"{source} is not a valid index: {problem}.");
        }

        using var stream = File.OpenRead(indexPath);
        using var document = JsonDocument.Parse(stream);
        var shards = new List<string>();
        foreach (var entry in document.RootElement.GetProperty("weight_map").EnumerateObject())
        {
            string name = entry.Value.GetString()!;
            SnapshotFileName.Resolve(name, snapshotFolder, source);
            if (!name.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                throw new HubException(
                    HubErrorKind.UnsafePath, $"Refusing the file name '{name}' from {source}: a shard must be a .safetensors file.");
            }

            if (!shards.Contains(name))
            {
                shards.Add(name);
            }
        }

        return shards;
    }

    /// <summary>
    /// The files a usable checkpoint folder lacks: <c>config.json</c>, <c>spiece.model</c>, and the weights (either
    /// <c>model.safetensors</c> or an index with every shard it lists). Empty when the folder is complete.
    /// </summary>
    public static IReadOnlyList<string> FindMissing(string folder)
    {
        var missing = new List<string>();
        foreach (string name in new[] { Config, SentencePiece })
        {
            if (!IsReadableFile(Path.Combine(folder, name)))
            {
                missing.Add(name);
            }
        }

        if (IsReadableFile(Path.Combine(folder, Weights)))
        {
            return missing;
        }

        string index = Path.Combine(folder, WeightsIndex);
        if (!IsReadableFile(index))
        {
            missing.Add($"{Weights} (or {WeightsIndex} with its shards)");
            return missing;
        }

        try
        {
            foreach (string shard in ReadShardNames(index, folder, $"{WeightsIndex} in {folder}"))
            {
                if (!IsReadableFile(Path.Combine(folder, shard)))
                {
                    missing.Add(shard);
                }
            }
        }
        catch (HubException e)
        {
            missing.Add($"a valid {WeightsIndex} ({e.Message})");
        }

        return missing;
    }

    /// <summary>Whether a file exists, following a symlink to its final target (a snapshot entry whose blob is gone does not count).</summary>
    public static bool IsReadableFile(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is null)
        {
            return info.Exists;
        }

        return info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true };
    }
}
