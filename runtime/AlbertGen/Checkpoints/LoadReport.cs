namespace AlbertGen.Checkpoints;

/// <summary>
/// What loading a checkpoint did, key by key. Loaded, missing and initialised keys are model parameter names; unexpected and
/// ignored keys are checkpoint keys as stored in the file.
/// </summary>
public sealed class LoadReport
{
    /// <summary>Creates a report.</summary>
    /// <param name="source">The checkpoint file loaded.</param>
    /// <param name="loadedKeys">Parameters set from the checkpoint.</param>
    /// <param name="missingKeys">Parameters the checkpoint lacks (left as they were).</param>
    /// <param name="unexpectedKeys">Checkpoint keys the model has no parameter for (not loaded).</param>
    /// <param name="ignoredKeys">Checkpoint keys that are known redundancies: the <c>position_ids</c> buffer and the tied decoder copies.</param>
    /// <param name="initializedKeys">Head parameters kept at their random initialisation (fine-tuning preparation).</param>
    public LoadReport(
        string source,
        IReadOnlyList<string> loadedKeys,
        IReadOnlyList<string> missingKeys,
        IReadOnlyList<string> unexpectedKeys,
        IReadOnlyList<string> ignoredKeys,
        IReadOnlyList<string> initializedKeys)
    {
        Source = source ?? throw new ArgumentNullException(nameof(source));
        LoadedKeys = loadedKeys ?? throw new ArgumentNullException(nameof(loadedKeys));
        MissingKeys = missingKeys ?? throw new ArgumentNullException(nameof(missingKeys));
        UnexpectedKeys = unexpectedKeys ?? throw new ArgumentNullException(nameof(unexpectedKeys));
        IgnoredKeys = ignoredKeys ?? throw new ArgumentNullException(nameof(ignoredKeys));
        InitializedKeys = initializedKeys ?? throw new ArgumentNullException(nameof(initializedKeys));
    }

    /// <summary>The checkpoint file loaded (a weights file of any supported format, or a sharded index).</summary>
    public string Source { get; }

    /// <summary>Parameters set from the checkpoint.</summary>
    public IReadOnlyList<string> LoadedKeys { get; }

    /// <summary>Parameters the checkpoint lacks (only possible with non-strict loading or fine-tuning preparation).</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Checkpoint keys the model has no parameter for, for example weights of another head.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Checkpoint keys skipped on purpose: <c>position_ids</c> and the tied <c>predictions.decoder.*</c> copies.</summary>
    public IReadOnlyList<string> IgnoredKeys { get; }

    /// <summary>Head parameters left at their random initialisation because of <see cref="LoadOptions.InitializeMissingHeads"/>.</summary>
    public IReadOnlyList<string> InitializedKeys { get; }
}
