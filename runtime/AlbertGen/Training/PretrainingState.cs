using System.Text.Json;
using System.Text.Json.Serialization;

namespace AlbertGen.Training;

/// <summary>
/// The trainer's part of a pretraining checkpoint (<c>checkpoint/trainer_state.json</c>): the update count and the data
/// position. Together with the model weights and the optimizer state it determines the rest of the run: an epoch's
/// instances are regenerated from (seed, epoch) and dropout is reseeded from (seed, step) before every update.
/// </summary>
internal sealed record PretrainingState
{
    /// <summary>Updates made.</summary>
    [JsonPropertyName("global_step")]
    public long Step { get; init; }

    /// <summary>Current pass over the corpus.</summary>
    [JsonPropertyName("epoch")]
    public int Epoch { get; init; }

    /// <summary>Index of the next instance in the epoch's shuffled list.</summary>
    [JsonPropertyName("position")]
    public int Position { get; init; }

    /// <summary>The run's seed (a resume with another seed is refused).</summary>
    [JsonPropertyName("seed")]
    public int Seed { get; init; }

    /// <summary>The optimizer (a resume with another one is refused).</summary>
    [JsonPropertyName("optimizer")]
    public string Optimizer { get; init; } = "";

    /// <summary>Batch size (a resume with another one is refused).</summary>
    [JsonPropertyName("batch_size")]
    public int BatchSize { get; init; }

    public void Write(string path)
    {
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
    }

    public static PretrainingState Read(string path) =>
        JsonSerializer.Deserialize<PretrainingState>(File.ReadAllText(path))
        ?? throw new InvalidDataException($"'{path}' is not a trainer state.");
}
