namespace AlbertGen.Checkpoints;

/// <summary>The file formats a checkpoint's weights are read from.</summary>
public enum CheckpointFormat
{
    /// <summary><c>model.safetensors</c> (or its shards): read in place, nothing executed.</summary>
    Safetensors,

    /// <summary><c>pytorch_model.bin</c> in torch's zip format (torch ≥ 1.6): a restricted pickle plus raw storages.</summary>
    PyTorchZip,

    /// <summary><c>pytorch_model.bin</c> in torch's legacy format (before 1.6): pickles followed by raw storages.</summary>
    PyTorchLegacy,

    /// <summary><c>flax_model.msgpack</c>: flax.serialization's msgpack of HuggingFace's Flax parameter tree.</summary>
    Flax,

    /// <summary><c>tf_model.h5</c>: HuggingFace's Keras HDF5 weights.</summary>
    TensorFlow,
}

/// <summary>Names of <see cref="CheckpointFormat"/> values for messages and <c>albertgen info</c>.</summary>
public static class CheckpointFormats
{
    /// <summary>A short description, for example <c>PyTorch pickle (zip)</c>.</summary>
    /// <param name="format">The format.</param>
    /// <returns>The description.</returns>
    public static string Describe(CheckpointFormat format) => format switch
    {
        CheckpointFormat.Safetensors => "safetensors",
        CheckpointFormat.PyTorchZip => "PyTorch pickle (zip, torch >= 1.6)",
        CheckpointFormat.PyTorchLegacy => "PyTorch pickle (legacy, torch < 1.6)",
        CheckpointFormat.Flax => "Flax msgpack",
        CheckpointFormat.TensorFlow => "TensorFlow Keras HDF5",
        _ => format.ToString(),
    };
}

/// <summary>A tensor as a checkpoint file holds it, whatever the format: its PyTorch name, stored dtype and PyTorch shape.</summary>
/// <param name="Name">The PyTorch state-dict key (Flax and TensorFlow names are translated as HuggingFace does).</param>
/// <param name="DType">The stored element type.</param>
/// <param name="Shape">The PyTorch shape (Flax and TensorFlow kernels are already transposed).</param>
public sealed record CheckpointTensorInfo(string Name, SafetensorsDType DType, IReadOnlyList<long> Shape)
{
    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes the tensor's elements take in its stored dtype.</summary>
    public long ByteCount => ElementCount * SafetensorsDTypes.ElementSize(DType);

    /// <summary>The shape as <c>[a, b]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
