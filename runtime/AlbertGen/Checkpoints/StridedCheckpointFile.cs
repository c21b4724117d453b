using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Checkpoints;

/// <summary>
/// A tensor stored as a strided view into a storage: what a PyTorch tensor is, and how a Flax or TensorFlow kernel
/// ([in, out]) is seen as a PyTorch weight ([out, in], strides [1, out]) without copying.
/// </summary>
/// <param name="Info">Name, stored dtype and PyTorch shape.</param>
/// <param name="Storage">The storage.</param>
/// <param name="Offset">Offset of the first element, in elements.</param>
/// <param name="Strides">Strides in elements, one per dimension.</param>
internal sealed record StoredTensor(CheckpointTensorInfo Info, TensorStorage Storage, long Offset, IReadOnlyList<long> Strides);

/// <summary>
/// The tensors of a PyTorch, Flax or TensorFlow file as strided views into storages. Every view's extent is checked
/// against its storage's length when the file is opened, before anything is allocated.
/// </summary>
internal sealed class StridedCheckpointFile : ICheckpointFile
{
    private readonly Dictionary<string, StoredTensor> _tensors;
    private readonly IDisposable? _owner;

    /// <summary>Creates the file's view; validates every tensor.</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">Its format.</param>
    /// <param name="tensors">The tensors (names must be unique).</param>
    /// <param name="owner">What to dispose with the file (an open handle or archive), or null.</param>
    /// <exception cref="CheckpointFormatException">A duplicate name, or a view that reaches past its storage.</exception>
    public StridedCheckpointFile(string path, CheckpointFormat format, IEnumerable<StoredTensor> tensors, IDisposable? owner)
    {
        FilePath = path;
        Format = format;
        _owner = owner;
        _tensors = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach (StoredTensor tensor in tensors)
        {
            if (!_tensors.TryAdd(tensor.Info.Name, tensor))
            {
                throw new CheckpointFormatException(path, $"tensor '{tensor.Info.Name}' appears twice.");
            }

            Validate(path, tensor);
        }

        Tensors = _tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Info, StringComparer.Ordinal);
    }

    public string FilePath { get; }

    public CheckpointFormat Format { get; }

    public IReadOnlyDictionary<string, CheckpointTensorInfo> Tensors { get; }

    /// <summary>Elements from the view's first to its last element, inclusive (0 for an empty tensor).</summary>
    internal static long Extent(IReadOnlyList<long> shape, IReadOnlyList<long> strides)
    {
        long last = 0;
        for (int i = 0; i < shape.Count; i++)
        {
            if (shape[i] == 0)
            {
                return 0;
            }

            last = checked(last + checked((shape[i] - 1) * strides[i]));
        }

        return checked(last + 1);
    }

    private static void Validate(string path, StoredTensor tensor)
    {
        CheckpointTensorInfo info = tensor.Info;
        if (tensor.Strides.Count != info.Shape.Count)
        {
            throw new CheckpointFormatException(path, $"tensor '{info.Name}': {tensor.Strides.Count} strides for shape {info.ShapeText}.");
        }

        if (info.Shape.Any(d => d < 0) || tensor.Strides.Any(s => s < 0) || tensor.Offset < 0)
        {
            throw new CheckpointFormatException(path,
                $"tensor '{info.Name}': shape {info.ShapeText}, strides [{string.Join(", ", tensor.Strides)}] and offset {tensor.Offset} must be non-negative.");
        }

        long end;
        try
        {
            _ = checked(info.Shape.Aggregate(1L, (a, b) => checked(a * b)) * SafetensorsDTypes.ElementSize(info.DType));
            long extent = Extent(info.Shape, tensor.Strides);
            end = extent == 0 ? 0 : checked(checked(tensor.Offset + extent) * SafetensorsDTypes.ElementSize(info.DType));
        }
        catch (OverflowException)
        {
            throw new CheckpointFormatException(path, $"tensor '{info.Name}': shape {info.ShapeText} with strides [{string.Join(", ", tensor.Strides)}] overflows.");
        }

        // A view may not have more elements than its storage (an expanded, stride-0 view could otherwise make a
        // reader allocate without bound); state dicts store expanded buffers only over as many elements as they show.
        if (info.ByteCount > tensor.Storage.ByteLength)
        {
            throw new CheckpointFormatException(path,
                $"tensor '{info.Name}' ({SafetensorsDTypes.Name(info.DType)} {info.ShapeText}) has more elements than its {tensor.Storage.ByteLength}-byte storage holds.");
        }

        if (end > tensor.Storage.ByteLength)
        {
            throw new CheckpointFormatException(path,
                $"tensor '{info.Name}' ({SafetensorsDTypes.Name(info.DType)} {info.ShapeText}, strides [{string.Join(", ", tensor.Strides)}], offset {tensor.Offset}) " +
                $"needs {end} bytes of its storage, which holds {tensor.Storage.ByteLength}.");
        }
    }

    public void CopyTo(string name, Tensor destination)
    {
        StoredTensor tensor = _tensors.TryGetValue(name, out StoredTensor? found)
            ? found
            : throw new KeyNotFoundException($"{FilePath}: no tensor named '{name}'.");
        CheckpointTensorInfo info = tensor.Info;
        long extent = Extent(info.Shape, tensor.Strides);
        if (extent == 0)
        {
            return;
        }

        ScalarType stored = SafetensorsDTypes.ToScalarType(info.DType);
        int elementSize = SafetensorsDTypes.ElementSize(info.DType);
        using var noGrad = no_grad();
        if (extent == info.ElementCount && IsRowMajor(info.Shape, tensor.Strides)
            && destination.device_type == DeviceType.CPU && destination.dtype == stored && destination.is_contiguous())
        {
            using Tensor target = destination.view(-1);
            Fill(tensor, target, elementSize);
            return;
        }

        using var scope = NewDisposeScope();
        Tensor flat = empty(extent, stored);
        Fill(tensor, flat, elementSize);
        Tensor view = flat.as_strided(info.Shape.ToArray(), tensor.Strides.ToArray());
        destination.copy_(view.reshape(destination.shape));
    }

    private static bool IsRowMajor(IReadOnlyList<long> shape, IReadOnlyList<long> strides)
    {
        long expected = 1;
        for (int i = shape.Count - 1; i >= 0; i--)
        {
            if (shape[i] != 1 && strides[i] != expected)
            {
                return false;
            }

            expected *= shape[i];
        }

        return true;
    }

    /// <summary>Reads the view's storage range into a flat contiguous tensor, in chunks a span can address.</summary>
    private static void Fill(StoredTensor tensor, Tensor flat, int elementSize)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Reading checkpoints needs a little-endian machine.");
        }

        long elements = flat.shape[0];
        long chunk = (1L << 30) / elementSize;
        for (long start = 0; start < elements; start += chunk)
        {
            long count = Math.Min(chunk, elements - start);
            using Tensor part = flat.narrow(0, start, count);
            tensor.Storage.Read((tensor.Offset + start) * elementSize, part.bytes);
        }
    }

    public void Dispose() => _owner?.Dispose();
}
