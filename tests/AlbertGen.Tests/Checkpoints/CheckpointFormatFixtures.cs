using AlbertGen.Checkpoints;

namespace AlbertGen.Tests.Checkpoints;

/// <summary>
/// The golden fixture checkpoints stored in every other format (made by real torch, h5py and msgpack from the fixtures'
/// safetensors files: <c>Checkpoints/Formats/make_formats.py</c>).
/// </summary>
public static class CheckpointFormatFixtures
{
    /// <summary>The folders under each checkpoint: the format each holds.</summary>
    public static readonly IReadOnlyDictionary<string, CheckpointFormat> Formats = new Dictionary<string, CheckpointFormat>
    {
        ["zip"] = CheckpointFormat.PyTorchZip,
        ["legacy"] = CheckpointFormat.PyTorchLegacy,
        ["sharded"] = CheckpointFormat.PyTorchZip,
        ["flax"] = CheckpointFormat.Flax,
        ["tf"] = CheckpointFormat.TensorFlow,
    };

    public static readonly string[] Checkpoints =
        ["pretraining", "seqcls-single3", "seqcls-regression1", "seqcls-multilabel4", "tokcls5", "qa", "multiplechoice"];

    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "Checkpoints", "Formats");

    /// <summary>The folder holding <paramref name="checkpoint"/> of <paramref name="config"/> in <paramref name="format"/>.</summary>
    public static string Folder(string config, string checkpoint, string format) => Path.Combine(Root, config, checkpoint, format);

    /// <summary>The fixture folder (config.json and model.safetensors) of a checkpoint.</summary>
    public static string FixtureFolder(string config, string checkpoint) =>
        checkpoint == "pretraining" ? SharedFolder.Model(config) : Path.Combine(SharedFolder.Model(config), "heads", checkpoint);
}
