using System.Text.Json;

namespace AlbertGen.Hub;

/// <summary>The files of an ALBERT checkpoint in HuggingFace layout, and how to tell whether a folder has them all.</summary>
internal static class AlbertRepoFiles
{
    public const string Config = "config.json";
    public const string SentencePiece = "spiece.model";
    public const string TokenizerJson = "tokenizer.json";
    public const string TokenizerConfig = "tokenizer_config.json";
    public const string SpecialTokensMap = "special_tokens_map.json";

    /// <summary>The tokenizer files a download fetches when the repository has them (it must have spiece.model or tokenizer.json).</summary>
    public static IReadOnlyList<string> TokenizerFiles { get; } = [SentencePiece, TokenizerJson, TokenizerConfig, SpecialTokensMap];
    public const string Weights = "model.safetensors";
    public const string WeightsIndex = "model.safetensors.index.json";

    /// <summary>
    /// The weights a repository may hold, in the order a folder is loaded and a download chooses: safetensors, PyTorch,
    /// Flax, TensorFlow, each single-file then sharded (an <c>*.index.json</c> naming its shards).
    /// </summary>
    public static IReadOnlyList<string> WeightFiles => Checkpoints.CheckpointSource.WeightFileNames;

    /// <summary>Whether a weights file name is a sharded index.</summary>
    public static bool IsIndex(string weightsFile) => weightsFile.EndsWith(".index.json", StringComparison.Ordinal);

    /// <summary>The extension an index's shards have: that of the single file it replaces (<c>.bin</c> for <c>pytorch_model.bin.index.json</c>).</summary>
    private static string ShardExtension(string indexName) => Path.GetExtension(indexName[..^".index.json".Length]);

    /// <summary>
    /// The shard file names an index lists under <c>weight_map</c>, each checked to stay inside
    /// <paramref name="snapshotFolder"/>, in order of first appearance.
    /// </summary>
    /// <exception cref="HubException">The index is not valid JSON of that shape, or a name is unsafe.</exception>
    public static IReadOnlyList<string> ReadShardNames(string indexPath, string snapshotFolder, string source, string indexName = WeightsIndex)
    {
        string extension = ShardExtension(indexName);
        string? problem = ContentValidation.Check(indexName, indexPath);
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
            if (!name.EndsWith(extension, StringComparison.Ordinal))
            {
                throw new HubException(
                    HubErrorKind.UnsafePath, $"Refusing the file name '{name}' from {source}: a shard of {indexName} must be a {extension} file.");
            }

            if (!shards.Contains(name))
            {
                shards.Add(name);
            }
        }

        return shards;
    }

    /// <summary>
    /// The files a usable checkpoint folder lacks: <c>config.json</c>, a tokenizer (<c>spiece.model</c> or
    /// <c>tokenizer.json</c>), and the weights (the first present of <see cref="WeightFiles"/>; an index with every shard it
    /// lists). Empty when the folder is complete.
    /// </summary>
    public static IReadOnlyList<string> FindMissing(string folder)
    {
        var missing = new List<string>();
        if (!IsReadableFile(Path.Combine(folder, Config)))
        {
            missing.Add(Config);
        }

        if (!IsReadableFile(Path.Combine(folder, SentencePiece)) && !IsReadableFile(Path.Combine(folder, TokenizerJson)))
        {
            missing.Add($"a tokenizer ({SentencePiece} or {TokenizerJson})");
        }

        string? weights = WeightFiles.FirstOrDefault(name => IsReadableFile(Path.Combine(folder, name)));
        if (weights is null)
        {
            missing.Add($"weights ({string.Join(", ", WeightFiles)})");
            return missing;
        }

        if (!IsIndex(weights))
        {
            return missing;
        }

        try
        {
            foreach (string shard in ReadShardNames(Path.Combine(folder, weights), folder, $"{weights} in {folder}", weights))
            {
                if (!IsReadableFile(Path.Combine(folder, shard)))
                {
                    missing.Add(shard);
                }
            }
        }
        catch (HubException e)
        {
            missing.Add($"a valid {weights} ({e.Message})");
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
