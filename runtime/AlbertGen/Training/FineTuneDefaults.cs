using System.Globalization;
using System.Text.Json;

namespace AlbertGen.Training;

/// <summary>
/// A model's recommended fine-tuning settings: the optional file <c>finetune_defaults.json</c> beside its
/// <c>config.json</c>. Keys are HuggingFace <c>TrainingArguments</c> names (plus <c>max_seq_length</c>); every key is
/// optional, unknown keys and wrong types are errors. <see cref="FineTuner"/> uses a value when the run's
/// <see cref="FineTuneOptions"/> leave the setting unset, and <see cref="HuggingFace"/>'s value when the file has none.
/// </summary>
/// <example><code>
/// { "learning_rate": 1e-3, "num_train_epochs": 3, "per_device_train_batch_size": 16, "warmup_ratio": 0.1 }
/// </code></example>
public sealed record FineTuneDefaults
{
    /// <summary>The file's name in a model folder.</summary>
    public const string FileName = "finetune_defaults.json";

    /// <summary>The settings used when neither the options nor the model give one: HuggingFace's for ALBERT (lr 3e-5, 3 epochs, batch 16, 10 % warm-up).</summary>
    public static FineTuneDefaults HuggingFace { get; } = new()
    {
        LearningRate = 3e-5,
        Epochs = 3,
        BatchSize = 16,
        GradientAccumulationSteps = 1,
        WarmupRatio = 0.1,
        WeightDecay = 0.01,
        Decay = LearningRateDecay.Linear,
        MaxGradNorm = 1.0,
        MaxSequenceLength = 128,
        Source = "built-in defaults",
    };

    /// <summary><c>learning_rate</c>: peak learning rate.</summary>
    public double? LearningRate { get; init; }

    /// <summary><c>num_train_epochs</c>: passes over the training data.</summary>
    public int? Epochs { get; init; }

    /// <summary><c>per_device_train_batch_size</c>: examples per forward pass.</summary>
    public int? BatchSize { get; init; }

    /// <summary><c>gradient_accumulation_steps</c>: forward passes per update.</summary>
    public int? GradientAccumulationSteps { get; init; }

    /// <summary><c>warmup_ratio</c>: warm-up as a fraction of all updates.</summary>
    public double? WarmupRatio { get; init; }

    /// <summary><c>warmup_steps</c>: warm-up in updates (wins over <see cref="WarmupRatio"/>).</summary>
    public int? WarmupSteps { get; init; }

    /// <summary><c>weight_decay</c>: AdamW weight decay.</summary>
    public double? WeightDecay { get; init; }

    /// <summary><c>lr_scheduler_type</c>: <c>linear</c>, <c>cosine</c> or <c>constant</c> (after warm-up).</summary>
    public LearningRateDecay? Decay { get; init; }

    /// <summary><c>max_grad_norm</c>: global gradient-norm limit (0 disables clipping).</summary>
    public double? MaxGradNorm { get; init; }

    /// <summary><c>max_seq_length</c>: longest row in tokens.</summary>
    public int? MaxSequenceLength { get; init; }

    /// <summary>Where the values came from (the file's path), for reports.</summary>
    public string Source { get; init; } = "";

    /// <summary>Reads <c>finetune_defaults.json</c> from a model folder.</summary>
    /// <param name="modelDirectory">The model's folder.</param>
    /// <returns>The settings, or null when the folder has no such file.</returns>
    /// <exception cref="InvalidDataException">The file is not valid JSON, has an unknown key or a value of the wrong type or range (the message names the file and key).</exception>
    public static FineTuneDefaults? Read(string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        string path = Path.Combine(modelDirectory, FileName);
        return File.Exists(path) ? Parse(File.ReadAllText(path), path) : null;
    }

    /// <summary>Parses the file's text.</summary>
    /// <param name="json">The JSON object.</param>
    /// <param name="source">The file's name for messages and <see cref="Source"/>.</param>
    /// <exception cref="InvalidDataException">Invalid JSON, an unknown key, or a value of the wrong type or range.</exception>
    public static FineTuneDefaults Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{source}: expected a JSON object of settings, found {document.RootElement.ValueKind}.");
            }

            var result = new FineTuneDefaults { Source = source };
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                JsonElement value = property.Value;
                result = property.Name switch
                {
                    "learning_rate" => result with { LearningRate = Number(source, property, 0, 1) },
                    "num_train_epochs" => result with { Epochs = Count(source, property) },
                    "per_device_train_batch_size" => result with { BatchSize = Count(source, property) },
                    "gradient_accumulation_steps" => result with { GradientAccumulationSteps = Count(source, property) },
                    "warmup_ratio" => result with { WarmupRatio = Number(source, property, 0, 1) },
                    "warmup_steps" => result with { WarmupSteps = Count(source, property, minimum: 0) },
                    "weight_decay" => result with { WeightDecay = Number(source, property, 0, 1) },
                    "lr_scheduler_type" => result with { Decay = Schedule(source, property) },
                    "max_grad_norm" => result with { MaxGradNorm = Number(source, property, 0, double.MaxValue) },
                    "max_seq_length" => result with { MaxSequenceLength = Count(source, property, minimum: 8) },
                    _ => throw new InvalidDataException(
                        $"{source}: unknown setting \"{property.Name}\" (known: learning_rate, num_train_epochs, per_device_train_batch_size, gradient_accumulation_steps, warmup_ratio, warmup_steps, weight_decay, lr_scheduler_type, max_grad_norm, max_seq_length)."),
                };
            }

            return result;
        }
    }

    private static double Number(string source, JsonProperty property, double minimum, double maximum)
    {
        if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetDouble(out double value) || value < minimum || value > maximum)
        {
            string range = maximum == double.MaxValue ? $"at least {minimum}" : $"in [{minimum}, {maximum}]";
            throw new InvalidDataException($"{source}: \"{property.Name}\" must be a number {range}, found {property.Value.GetRawText()}.");
        }

        return value;
    }

    private static int Count(string source, JsonProperty property, int minimum = 1)
    {
        if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out int value) || value < minimum)
        {
            throw new InvalidDataException($"{source}: \"{property.Name}\" must be a whole number of at least {minimum}, found {property.Value.GetRawText()}.");
        }

        return value;
    }

    private static LearningRateDecay Schedule(string source, JsonProperty property) => property.Value.ValueKind == JsonValueKind.String
        ? property.Value.GetString() switch
        {
            "linear" => LearningRateDecay.Linear,
            "cosine" => LearningRateDecay.Cosine,
            "constant" or "constant_with_warmup" => LearningRateDecay.Constant,
            _ => throw new InvalidDataException($"{source}: \"lr_scheduler_type\" must be \"linear\", \"cosine\" or \"constant\", found {property.Value.GetRawText()}."),
        }
        : throw new InvalidDataException($"{source}: \"lr_scheduler_type\" must be a string, found {property.Value.GetRawText()}.");

    /// <summary>A number as the settings report prints it.</summary>
    internal static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
