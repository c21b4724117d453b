using AlbertGen.Checkpoints;

namespace AlbertGen.Benchmarks;

/// <summary>
/// A performance anchor under <c>../shared/anchors</c>: random weights as <c>model.safetensors</c>, the same weights as
/// ONNX Runtime's float32 and int8 models, and a 2×16 golden.
/// </summary>
/// <param name="Name">Short name used in headings and ratio lines (<c>base</c>, <c>small</c>).</param>
/// <param name="Directory">The anchor's folder.</param>
/// <param name="Config">Its configuration.</param>
internal sealed record AnchorModel(string Name, string Directory, AlbertConfig Config)
{
    /// <summary>The albert-base-v2-shaped anchor (hidden 768, 12 layers sharing one group).</summary>
    public static AnchorModel Base { get; } = Read("base", Paths.Anchor);

    /// <summary>The small anchor, the default model's size (hidden 128, 4 unshared layers): per-operation overhead.</summary>
    public static AnchorModel Small { get; } = Read("small", Paths.SmallAnchor);

    /// <summary>ONNX Runtime's float32 model of the same weights.</summary>
    public string Onnx => Path.Combine(Directory, "albert_model.onnx");

    /// <summary>ONNX Runtime's int8 peer (<c>DynamicQuantizeMatMul</c>, int8 weights per tensor).</summary>
    public string Int8Onnx => Path.Combine(Directory, "albert_model_int8.onnx");

    /// <summary>Reference inputs and outputs from HuggingFace transformers.</summary>
    public string Golden => Path.Combine(Directory, "golden_2x16.safetensors");

    /// <summary>How the anchor is named in headings, e.g. <c>base anchor (albert-base-v2-random)</c>.</summary>
    public string Title => $"{Name} anchor ({Path.GetFileName(Directory)})";

    private static AnchorModel Read(string name, string directory) => new(name, directory, AlbertConfigReader.ReadFile(directory));
}
