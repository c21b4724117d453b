using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Checkpoints;

/// <summary>
/// Loads a HuggingFace checkpoint into a model whose parameter names are the checkpoint keys, with HuggingFace's prefix
/// logic both ways: a bare <c>AlbertModel</c> loads from a checkpoint with the <c>albert.</c> prefix (stripped), and a
/// head loads its body from a prefix-less base checkpoint (prefix added).
/// </summary>
internal static class CheckpointLoader
{
    /// <summary>Body prefix of the head models.</summary>
    public const string BodyPrefix = "albert.";

    private const int MaxListed = 12;

    /// <summary>Loads <paramref name="fileOrDirectory"/> into <paramref name="model"/>.</summary>
    /// <param name="model">The model; its parameter names are checkpoint keys (relative to <paramref name="modelBodyPrefix"/>).</param>
    /// <param name="modelBodyPrefix"><c>"albert."</c> for heads, <c>""</c> for the bare model.</param>
    /// <param name="fileOrDirectory">Checkpoint path.</param>
    /// <param name="options">Options.</param>
    /// <returns>The report.</returns>
    public static LoadReport Load(nn.Module model, string modelBodyPrefix, string fileOrDirectory, LoadOptions options)
    {
        var parameters = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        foreach ((string name, Parameter p) in model.named_parameters())
        {
            parameters[name] = p;
        }

        using CheckpointSource source = CheckpointSource.Open(fileOrDirectory);
        bool prefixed = source.Tensors.Any(t => t.Name.StartsWith(BodyPrefix, StringComparison.Ordinal));

        var plan = new List<(string Key, Parameter Target)>();
        var loaded = new List<string>();
        var unexpected = new List<string>();
        var ignored = new List<string>();
        var shapeErrors = new List<string>();
        foreach (CheckpointTensorInfo tensor in source.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (IsRedundant(tensor.Name))
            {
                ignored.Add(tensor.Name);
                continue;
            }

            string? target = ToModelKey(tensor.Name, modelBodyPrefix, prefixed);
            if (target is null || !parameters.TryGetValue(target, out Parameter? parameter))
            {
                unexpected.Add(tensor.Name);
                continue;
            }

            if (Describe(tensor, parameter) is { } problem)
            {
                shapeErrors.Add(problem);
                continue;
            }

            plan.Add((tensor.Name, parameter));
            loaded.Add(target);
        }

        // Some checkpoints store the MLM bias only as the decoder's bias.
        if (parameters.TryGetValue("predictions.bias", out Parameter? mlmBias) && !loaded.Contains("predictions.bias")
            && source.Contains("predictions.decoder.bias") && Describe(source.Info("predictions.decoder.bias"), mlmBias) is null)
        {
            plan.Add(("predictions.decoder.bias", mlmBias));
            loaded.Add("predictions.bias");
            ignored.Remove("predictions.decoder.bias");
        }

        if (shapeErrors.Count > 0)
        {
            throw new CheckpointException($"{source.Path}: {shapeErrors.Count} tensor(s) do not fit the model:{Environment.NewLine}  " +
                string.Join(Environment.NewLine + "  ", shapeErrors));
        }

        var loadedSet = new HashSet<string>(loaded, StringComparer.Ordinal);
        List<string> missing = parameters.Keys.Where(k => !loadedSet.Contains(k)).Order(StringComparer.Ordinal).ToList();
        List<string> initialized = options.InitializeMissingHeads
            ? missing.Where(k => modelBodyPrefix.Length > 0 && !k.StartsWith(modelBodyPrefix, StringComparison.Ordinal)).ToList()
            : new List<string>();
        missing = missing.Except(initialized).ToList();

        if (options.Strict)
        {
            if (missing.Count > 0)
            {
                bool headsOnly = modelBodyPrefix.Length > 0 && missing.All(k => !k.StartsWith(modelBodyPrefix, StringComparison.Ordinal));
                throw new CheckpointException(
                    $"{source.Path}: {missing.Count} weight(s) of {model.GetName()} are missing from the checkpoint: {List(missing)}." +
                    (headsOnly
                        ? " These are head weights: to start fine-tuning from this checkpoint, load with LoadOptions { InitializeMissingHeads = true }."
                        : " The checkpoint was saved from a model with another configuration or architecture."));
            }

            List<string> foreign = unexpected.Where(k => !IsOtherAlbertWeight(k)).ToList();
            if (foreign.Count > 0)
            {
                throw new CheckpointException(
                    $"{source.Path}: {foreign.Count} checkpoint tensor(s) match no parameter of {model.GetName()}: {List(foreign)}. " +
                    "The checkpoint was saved from a model with another configuration (layers, groups, position type) or is not an ALBERT checkpoint; " +
                    "load with LoadOptions { Strict = false } to skip them.");
            }
        }

        using (no_grad())
        using (NewDisposeScope())
        {
            foreach ((string key, Parameter target) in plan)
            {
                source.CopyTo(key, target);
            }
        }

        return new LoadReport(source.Path, loaded.Order(StringComparer.Ordinal).ToList(), missing, unexpected, ignored, initialized);
    }

    /// <summary>Maps a checkpoint key to a model parameter name, or null when it belongs to no part of this model.</summary>
    internal static string? ToModelKey(string key, string modelBodyPrefix, bool checkpointPrefixed)
    {
        if (modelBodyPrefix.Length == 0)
        {
            // Bare model: a head checkpoint's body keys lose their prefix; its head keys are not ours.
            if (!checkpointPrefixed)
            {
                return key;
            }

            return key.StartsWith(BodyPrefix, StringComparison.Ordinal) ? key[BodyPrefix.Length..] : null;
        }

        // Head model from a base checkpoint: body keys gain the prefix.
        return checkpointPrefixed || IsHeadKey(key) ? key : modelBodyPrefix + key;
    }

    private static bool IsHeadKey(string key) => AlbertHeadRegistry.IsHeadKey(key);

    /// <summary>Keys HuggingFace checkpoints may hold that carry nothing of their own.</summary>
    private static bool IsRedundant(string key) =>
        key is "predictions.decoder.weight" or "predictions.decoder.bias"
        || key.EndsWith("embeddings.position_ids", StringComparison.Ordinal);

    /// <summary>Weights of an ALBERT part this model does not have (another head, or the pooler).</summary>
    private static bool IsOtherAlbertWeight(string key) =>
        IsHeadKey(key)
        || key.StartsWith("albert.pooler.", StringComparison.Ordinal) || key.StartsWith("pooler.", StringComparison.Ordinal);

    private static string? Describe(CheckpointTensorInfo tensor, Parameter parameter)
    {
        long[] expected = parameter.shape;
        if (!expected.SequenceEqual(tensor.Shape))
        {
            return $"'{tensor.Name}' has shape {tensor.ShapeText}, the model expects [{string.Join(", ", expected)}]";
        }

        if (parameter.is_floating_point() && !SafetensorsDTypes.IsFloatingPoint(tensor.DType))
        {
            return $"'{tensor.Name}' has dtype {SafetensorsDTypes.Name(tensor.DType)}, the model expects a floating-point tensor (F32, F16, BF16)";
        }

        return null;
    }

    private static string List(IReadOnlyList<string> keys) =>
        string.Join(", ", keys.Take(MaxListed)) + (keys.Count > MaxListed ? $" … and {keys.Count - MaxListed} more" : "");
}
