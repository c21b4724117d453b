using System.Buffers;
using MessagePack;

namespace AlbertGen.Checkpoints;

/// <summary>
/// Opens a <c>flax_model.msgpack</c>: <c>flax.serialization.msgpack_serialize</c> of HuggingFace's Flax parameter tree
/// (nested maps; each array an extension of type 1 whose payload is the msgpack array [shape, dtype name, raw bytes]),
/// with its names and layouts mapped to PyTorch's as HuggingFace's own Flax→PyTorch conversion does.
/// </summary>
/// <remarks>
/// The mapping (transformers' <c>load_flax_weights_in_pytorch_model</c>): the path joined with dots is the PyTorch
/// key, HuggingFace's Flax ALBERT modules having the PyTorch modules' names (layer lists are named <c>0</c>, <c>1</c>, …);
/// a final <c>kernel</c> of rank 2 becomes <c>weight</c> transposed ([in, out] → [out, in]); <c>scale</c> (LayerNorm)
/// and <c>embedding</c> (Embed) become <c>weight</c>. The transposition is a strided view, not a copy.
/// </remarks>
internal static class FlaxCheckpointReader
{
    /// <summary>Deepest map nesting accepted (ALBERT's tree is 9 levels deep).</summary>
    public const int MaxDepth = 32;

    private const sbyte NdArrayExtension = 1;

    /// <summary>Opens the file; the tensors' bytes stay in the file's in-memory copy until the file is disposed.</summary>
    /// <exception cref="CheckpointFormatException">Not Flax msgpack, malformed or truncated.</exception>
    public static ICheckpointFile Open(string path)
    {
        long length = new FileInfo(path).Length;
        if (length > Array.MaxLength)
        {
            throw new CheckpointFormatException(path, $"the file is {length} bytes; Flax checkpoints above {Array.MaxLength} bytes are not read (HuggingFace shards larger ones).");
        }

        byte[] bytes = File.ReadAllBytes(path);
        var tensors = new List<StoredTensor>();
        try
        {
            var reader = new MessagePackReader(bytes.AsMemory());
            if (reader.NextMessagePackType != MessagePackType.Map)
            {
                throw new CheckpointFormatException(path, $"not a Flax msgpack checkpoint: the top level is a {reader.NextMessagePackType}, expected a map of parameters.");
            }

            ReadTree(ref reader, path, new List<string>(), tensors);
            if (!reader.End)
            {
                throw new CheckpointFormatException(path, $"{bytes.Length - reader.Consumed} bytes follow the parameter tree.");
            }
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException)
        {
            throw new CheckpointFormatException(path, $"malformed msgpack ({e.Message}).", e);
        }

        // HuggingFace saves the parameters themselves; a tree saved with Flax's {"params": …} wrapper is accepted too.
        const string ParamsPrefix = "params.";
        if (tensors.Count > 0 && tensors.All(t => t.Info.Name.StartsWith(ParamsPrefix, StringComparison.Ordinal)))
        {
            tensors = tensors.Select(t => t with { Info = t.Info with { Name = t.Info.Name[ParamsPrefix.Length..] } }).ToList();
        }

        return new StridedCheckpointFile(path, CheckpointFormat.Flax, tensors, owner: null);
    }

    private static void ReadTree(ref MessagePackReader reader, string path, List<string> keys, List<StoredTensor> tensors)
    {
        if (keys.Count >= MaxDepth)
        {
            throw new CheckpointFormatException(path, $"'{string.Join("/", keys)}' nests deeper than {MaxDepth} levels.");
        }

        int count = reader.ReadMapHeader();
        for (int i = 0; i < count; i++)
        {
            if (reader.NextMessagePackType != MessagePackType.String)
            {
                throw new CheckpointFormatException(path, $"a key under '{string.Join("/", keys)}' is a {reader.NextMessagePackType}, expected a string.");
            }

            keys.Add(reader.ReadString()!);
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Map:
                    ReadTree(ref reader, path, keys, tensors);
                    break;
                case MessagePackType.Extension:
                    tensors.Add(ReadArray(ref reader, path, keys));
                    break;
                default:
                    throw new CheckpointFormatException(path, $"'{string.Join("/", keys)}' is a {reader.NextMessagePackType}, expected a map or an ndarray (msgpack extension 1).");
            }

            keys.RemoveAt(keys.Count - 1);
        }
    }

    private static StoredTensor ReadArray(ref MessagePackReader reader, string path, List<string> keys)
    {
        string where = string.Join("/", keys);
        ExtensionResult extension = reader.ReadExtensionFormat();
        if (extension.TypeCode != NdArrayExtension)
        {
            throw new CheckpointFormatException(path, $"'{where}' is msgpack extension {extension.TypeCode}; only ndarrays (extension 1) hold weights.");
        }

        var inner = new MessagePackReader(extension.Data);
        if (inner.ReadArrayHeader() != 3)
        {
            throw new CheckpointFormatException(path, $"'{where}': an ndarray must be [shape, dtype, bytes].");
        }

        int rank = inner.ReadArrayHeader();
        if (rank > 8)
        {
            throw new CheckpointFormatException(path, $"'{where}': rank {rank}; at most 8 dimensions are accepted.");
        }

        var shape = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            shape[d] = inner.ReadInt64();
            if (shape[d] < 0)
            {
                throw new CheckpointFormatException(path, $"'{where}': negative dimension {shape[d]}.");
            }
        }

        string dtypeName = inner.ReadString() ?? "";
        SafetensorsDType dtype = dtypeName switch
        {
            "float32" => SafetensorsDType.F32,
            "float16" => SafetensorsDType.F16,
            "bfloat16" => SafetensorsDType.BF16,
            "float64" => SafetensorsDType.F64,
            "int64" => SafetensorsDType.I64,
            "int32" => SafetensorsDType.I32,
            "int16" => SafetensorsDType.I16,
            "int8" => SafetensorsDType.I8,
            "uint8" => SafetensorsDType.U8,
            "bool" => SafetensorsDType.Bool,
            _ => throw new CheckpointFormatException(path, $"'{where}': unsupported dtype '{dtypeName}' (supported: float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool)."),
        };

        ReadOnlySequence<byte> data = inner.ReadBytes() ?? throw new CheckpointFormatException(path, $"'{where}': the array's bytes are nil.");
        if (!data.IsSingleSegment)
        {
            throw new CheckpointFormatException(path, $"'{where}': the array's bytes are not contiguous.");
        }

        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * SafetensorsDTypes.ElementSize(dtype));
        }
        catch (OverflowException)
        {
            throw new CheckpointFormatException(path, $"'{where}': shape [{string.Join(", ", shape)}] has too many elements.");
        }

        if (data.Length != expected)
        {
            throw new CheckpointFormatException(path, $"'{where}': {dtypeName} [{string.Join(", ", shape)}] needs {expected} bytes, the array has {data.Length}.");
        }

        return ToPyTorch(keys, shape, dtype, new MemoryStorage(data.First));
    }

    /// <summary>The PyTorch name and view of a Flax parameter, by HuggingFace's rules.</summary>
    internal static StoredTensor ToPyTorch(IReadOnlyList<string> keys, long[] flaxShape, SafetensorsDType dtype, TensorStorage storage)
    {
        string last = keys[^1];
        string prefix = string.Join(".", keys.Take(keys.Count - 1));
        string Named(string leaf) => prefix.Length == 0 ? leaf : prefix + "." + leaf;
        long[] rowMajor = RowMajorStrides(flaxShape);
        if (last == "kernel" && flaxShape.Length == 2)
        {
            long[] shape = [flaxShape[1], flaxShape[0]];
            return new StoredTensor(new CheckpointTensorInfo(Named("weight"), dtype, shape), storage, 0, [rowMajor[1], rowMajor[0]]);
        }

        string name = last is "scale" or "embedding" or "kernel" ? Named("weight") : Named(last);
        return new StoredTensor(new CheckpointTensorInfo(name, dtype, flaxShape), storage, 0, rowMajor);
    }

    internal static long[] RowMajorStrides(IReadOnlyList<long> shape)
    {
        var strides = new long[shape.Count];
        long stride = 1;
        for (int i = shape.Count - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(1, shape[i]);
        }

        return strides;
    }
}
