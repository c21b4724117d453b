using static TorchSharp.torch;

namespace AlbertGen.Checkpoints;

/// <summary>One opened weights file of any supported format, its tensors named and shaped as PyTorch's.</summary>
internal interface ICheckpointFile : IDisposable
{
    /// <summary>The file's path.</summary>
    string FilePath { get; }

    /// <summary>The file's format.</summary>
    CheckpointFormat Format { get; }

    /// <summary>The tensors by PyTorch name.</summary>
    IReadOnlyDictionary<string, CheckpointTensorInfo> Tensors { get; }

    /// <summary>Copies a tensor into a destination with the same number of elements, converting dtype and device.</summary>
    void CopyTo(string name, Tensor destination);
}

/// <summary>Opens a weights file by its name, in the format its name says.</summary>
internal static class CheckpointFiles
{
    /// <summary>Opens <paramref name="path"/>: <c>.safetensors</c>, <c>.bin</c>/<c>.pt</c>/<c>.pth</c> (PyTorch), <c>.msgpack</c> (Flax) or <c>.h5</c> (TensorFlow).</summary>
    /// <exception cref="CheckpointException">Another kind of file, or a malformed one.</exception>
    public static ICheckpointFile Open(string path)
    {
        string name = Path.GetFileName(path);
        if (name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            return new SafetensorsCheckpointFile(SafetensorsFile.Open(path));
        }

        if (name.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".pt", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".pth", StringComparison.OrdinalIgnoreCase))
        {
            return PyTorchCheckpointReader.Open(path);
        }

        if (name.EndsWith(".msgpack", StringComparison.OrdinalIgnoreCase))
        {
            return FlaxCheckpointReader.Open(path);
        }

        if (name.EndsWith(".h5", StringComparison.OrdinalIgnoreCase))
        {
            return TensorFlowCheckpointReader.Open(path);
        }

        throw new CheckpointException(
            $"{path}: not a known weights file (expected .safetensors, a PyTorch .bin/.pt/.pth, Flax .msgpack or TensorFlow .h5).");
    }
}

/// <summary>A <see cref="SafetensorsFile"/> seen as a checkpoint file.</summary>
internal sealed class SafetensorsCheckpointFile : ICheckpointFile
{
    private readonly SafetensorsFile _file;

    public SafetensorsCheckpointFile(SafetensorsFile file)
    {
        _file = file;
        Tensors = file.Tensors.ToDictionary(kv => kv.Key, kv => new CheckpointTensorInfo(kv.Key, kv.Value.DType, kv.Value.Shape), StringComparer.Ordinal);
    }

    public string FilePath => _file.FilePath;

    public CheckpointFormat Format => CheckpointFormat.Safetensors;

    public IReadOnlyDictionary<string, CheckpointTensorInfo> Tensors { get; }

    public void CopyTo(string name, Tensor destination) => _file.CopyTo(name, destination);

    public void Dispose() => _file.Dispose();
}
