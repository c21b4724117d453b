namespace AlbertGen.Training;

/// <summary>
/// The settings a fine-tuning run uses, each taken from the first that gives it: the run's <see cref="FineTuneOptions"/>,
/// the model's <c>finetune_defaults.json</c> (<see cref="FineTuneDefaults"/>), then <see cref="FineTuneDefaults.HuggingFace"/>.
/// </summary>
public sealed record FineTuneSettings
{
    /// <summary>Peak learning rate.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Passes over the training data.</summary>
    public required int Epochs { get; init; }

    /// <summary>Examples per forward pass.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Forward passes per update.</summary>
    public required int GradientAccumulationSteps { get; init; }

    /// <summary>Warm-up as a fraction of all updates (ignored when <see cref="WarmupSteps"/> is set).</summary>
    public required double WarmupRatio { get; init; }

    /// <summary>Warm-up in updates, when given.</summary>
    public int? WarmupSteps { get; init; }

    /// <summary>AdamW weight decay.</summary>
    public required double WeightDecay { get; init; }

    /// <summary>Decay after warm-up.</summary>
    public required LearningRateDecay Decay { get; init; }

    /// <summary>Global gradient-norm limit.</summary>
    public required double MaxGradNorm { get; init; }

    /// <summary>Longest row in tokens.</summary>
    public required int MaxSequenceLength { get; init; }

    /// <summary>Each setting's name (as in <c>finetune_defaults.json</c>), value and where it came from, in report order.</summary>
    public required IReadOnlyList<FineTuneSetting> Report { get; init; }

    /// <summary>The model's <c>finetune_defaults.json</c>, or null when it has none (or the run has no model folder).</summary>
    public string? ModelDefaultsFile { get; init; }

    /// <summary>Resolves the settings of a run.</summary>
    /// <param name="options">The run's options; their non-null settings win.</param>
    /// <param name="maxPositions">The model's <c>max_position_embeddings</c>: the built-in sequence length never exceeds it.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="InvalidDataException">The model's <c>finetune_defaults.json</c> is invalid.</exception>
    public static FineTuneSettings Resolve(FineTuneOptions options, int maxPositions)
    {
        ArgumentNullException.ThrowIfNull(options);
        FineTuneDefaults? model = options.ModelDirectory is { } dir ? FineTuneDefaults.Read(dir) : null;
        FineTuneDefaults builtIn = FineTuneDefaults.HuggingFace with { MaxSequenceLength = Math.Min(FineTuneDefaults.HuggingFace.MaxSequenceLength!.Value, maxPositions) };
        var report = new List<FineTuneSetting>();

        T Pick<T>(string name, T? given, Func<FineTuneDefaults, T?> fromDefaults, Func<T, string> format)
            where T : struct
        {
            (T value, FineTuneSettingSource source) = given is { } g ? (g, FineTuneSettingSource.Options)
                : model is not null && fromDefaults(model) is { } m ? (m, FineTuneSettingSource.Model)
                : (fromDefaults(builtIn)!.Value, FineTuneSettingSource.BuiltIn);
            report.Add(new FineTuneSetting(name, format(value), source));
            return value;
        }

        string Number(double v) => FineTuneDefaults.Format(v);
        string Whole(int v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var settings = new FineTuneSettings
        {
            LearningRate = Pick("learning_rate", options.LearningRate, d => d.LearningRate, Number),
            Epochs = Pick("num_train_epochs", options.Epochs, d => d.Epochs, Whole),
            BatchSize = Pick("per_device_train_batch_size", options.BatchSize, d => d.BatchSize, Whole),
            GradientAccumulationSteps = Pick("gradient_accumulation_steps", options.GradientAccumulationSteps, d => d.GradientAccumulationSteps, Whole),
            WarmupRatio = Pick("warmup_ratio", options.WarmupRatio, d => d.WarmupRatio, Number),
            WarmupSteps = options.WarmupSteps ?? model?.WarmupSteps,
            WeightDecay = Pick("weight_decay", options.WeightDecay, d => d.WeightDecay, Number),
            Decay = Pick("lr_scheduler_type", options.Decay, d => d.Decay, d => d.ToString().ToLowerInvariant()),
            MaxGradNorm = Pick("max_grad_norm", options.MaxGradNorm, d => d.MaxGradNorm, Number),
            MaxSequenceLength = Pick("max_seq_length", options.MaxSequenceLength, d => d.MaxSequenceLength, Whole),
            Report = report,
            ModelDefaultsFile = model?.Source,
        };
        if (settings.WarmupSteps is { } steps)
        {
            report.Add(new FineTuneSetting("warmup_steps", Whole(steps), options.WarmupSteps is null ? FineTuneSettingSource.Model : FineTuneSettingSource.Options));
        }

        return settings;
    }

    /// <summary>One line: <c>name value (source)</c> pairs, e.g. <c>learning_rate 0.001 (model), …</c>, then the model file if one was read.</summary>
    public override string ToString()
    {
        string settings = string.Join(", ", Report.Select(s => $"{s.Name} {s.Value} ({SourceName(s.Source)})"));
        return ModelDefaultsFile is null ? settings + "; the model has no " + FineTuneDefaults.FileName : $"{settings}; model = {ModelDefaultsFile}";
    }

    private static string SourceName(FineTuneSettingSource source) => source switch
    {
        FineTuneSettingSource.Options => "given",
        FineTuneSettingSource.Model => "model",
        _ => "default",
    };
}

/// <summary>One resolved setting.</summary>
/// <param name="Name">The <c>finetune_defaults.json</c> key.</param>
/// <param name="Value">The value as printed.</param>
/// <param name="Source">Where it came from.</param>
public sealed record FineTuneSetting(string Name, string Value, FineTuneSettingSource Source);

/// <summary>Where a fine-tuning setting came from.</summary>
public enum FineTuneSettingSource
{
    /// <summary>The run's options (on the command line: given explicitly).</summary>
    Options,

    /// <summary>The model's <c>finetune_defaults.json</c>.</summary>
    Model,

    /// <summary><see cref="FineTuneDefaults.HuggingFace"/>.</summary>
    BuiltIn,
}
