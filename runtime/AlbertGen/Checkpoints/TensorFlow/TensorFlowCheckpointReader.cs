using System.Text.RegularExpressions;
using PureHDF;
using PureHDF.VOL.Native;

namespace AlbertGen.Checkpoints;

/// <summary>
/// Opens a <c>tf_model.h5</c> as HuggingFace writes it (Keras <c>save_weights</c> in HDF5: the root attribute
/// <c>layer_names</c>, one group per layer with the attribute <c>weight_names</c>, each weight a dataset at that path
/// inside the group), read with PureHDF and mapped to PyTorch names as HuggingFace's own TensorFlow→PyTorch conversion does.
/// </summary>
/// <remarks>
/// The mapping (transformers' <c>convert_tf_weight_name_to_pt_weight_name</c>): drop <c>:0</c>, turn the list marker
/// <c>_._</c> into a separator, drop the first path level (the Keras model's own name), join with dots; a final
/// <c>kernel</c> becomes <c>weight</c> transposed ([in, out] → [out, in]); <c>gamma</c> and <c>embeddings</c> become
/// <c>weight</c>, <c>beta</c> becomes <c>bias</c>. HuggingFace's TF ALBERT names its modules as PyTorch does
/// (<c>albert/embeddings/word_embeddings/weight</c>, <c>albert/encoder/albert_layer_groups_._0/albert_layers_._0/…</c>,
/// <c>predictions/decoder/bias</c>).
/// </remarks>
internal static class TensorFlowCheckpointReader
{
    private static readonly Regex NameScopePrefix = new(@"/[^/]*___([^/]*)/", RegexOptions.CultureInvariant);
    private static readonly Regex RepeatedSlash = new(@"//+", RegexOptions.CultureInvariant);

    /// <summary>Opens the file and reads its datasets (HuggingFace's TF checkpoints are read whole, as HuggingFace does).</summary>
    /// <exception cref="CheckpointFormatException">Not HuggingFace's Keras layout, or a malformed HDF5 file.</exception>
    public static ICheckpointFile Open(string path)
    {
        NativeFile file;
        try
        {
            file = H5File.OpenRead(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CheckpointFormatException(path, $"not a readable HDF5 file ({e.Message}).", e);
        }

        try
        {
            long fileLength = new FileInfo(path).Length;
            var tensors = new List<StoredTensor>();
            foreach (string layer in StringList(file, "layer_names", path, "the root"))
            {
                if (!file.LinkExists(layer))
                {
                    throw new CheckpointFormatException(path, $"layer_names lists '{layer}' but the file has no group of that name.");
                }

                var group = (NativeGroup)file.Group(layer);
                foreach (string weight in StringList(group, "weight_names", path, $"group '{layer}'"))
                {
                    tensors.Add(ReadWeight(group, layer, weight, path, fileLength));
                }
            }

            file.Dispose();
            return new StridedCheckpointFile(path, CheckpointFormat.TensorFlow, tensors, owner: null);
        }
        catch (Exception e) when (e is not CheckpointException and not OutOfMemoryException)
        {
            file.Dispose();
            throw new CheckpointFormatException(path, $"malformed HDF5 file ({e.Message}).", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>A Keras string-list attribute, which Keras splits into <c>NAME0</c>, <c>NAME1</c>, … when it is large.</summary>
    private static List<string> StringList(IH5Object owner, string name, string path, string where)
    {
        var names = new List<string>();
        if (owner.AttributeExists(name))
        {
            names.AddRange(owner.Attribute(name).Read<string[]>());
        }
        else
        {
            for (int chunk = 0; owner.AttributeExists(name + chunk); chunk++)
            {
                names.AddRange(owner.Attribute(name + chunk).Read<string[]>());
            }

            if (names.Count == 0)
            {
                throw new CheckpointFormatException(path, $"{where} has no '{name}' attribute; not a Keras weights file as HuggingFace saves tf_model.h5.");
            }
        }

        return names;
    }

    private static StoredTensor ReadWeight(NativeGroup group, string layer, string weight, string path, long fileLength)
    {
        if (!group.LinkExists(weight))
        {
            throw new CheckpointFormatException(path, $"group '{layer}' lists weight '{weight}' but has no dataset of that name.");
        }

        var dataset = (NativeDataset)group.Dataset(weight);
        IH5DataType type = dataset.Type;
        SafetensorsDType dtype = (type.Class, type.Size) switch
        {
            (H5DataTypeClass.FloatingPoint, 4) => SafetensorsDType.F32,
            (H5DataTypeClass.FloatingPoint, 2) => SafetensorsDType.F16,
            (H5DataTypeClass.FloatingPoint, 8) => SafetensorsDType.F64,
            (H5DataTypeClass.FixedPoint, 8) => SafetensorsDType.I64,
            (H5DataTypeClass.FixedPoint, 4) => SafetensorsDType.I32,
            _ => throw new CheckpointFormatException(path, $"weight '{weight}' has HDF5 type {type.Class} of {type.Size} bytes; expected a float (2, 4, 8 bytes) or an integer (4, 8 bytes)."),
        };

        ulong[] dims = dataset.Space.Dimensions;
        if (dims.Length > 8)
        {
            throw new CheckpointFormatException(path, $"weight '{weight}' has rank {dims.Length}; at most 8 dimensions are accepted.");
        }

        long[] shape = dims.Select(d => d <= long.MaxValue ? (long)d : -1).ToArray();
        long bytes;
        try
        {
            bytes = checked(shape.Aggregate(1L, (a, b) => b < 0 ? throw new OverflowException() : checked(a * b)) * type.Size);
        }
        catch (OverflowException)
        {
            throw new CheckpointFormatException(path, $"weight '{weight}' has shape [{string.Join(", ", dims)}], too many elements.");
        }

        // HuggingFace writes uncompressed datasets: a dataset claiming more bytes than the file holds is corrupt.
        if (bytes > fileLength || bytes > Array.MaxLength)
        {
            throw new CheckpointFormatException(path, $"weight '{weight}' ([{string.Join(", ", dims)}], {bytes} bytes) is larger than the {fileLength}-byte file.");
        }

        (string name, bool transpose) = ToPyTorchName(weight, shape.Length);
        var storage = new MemoryStorage(ReadAll(dataset, bytes, path, weight));
        long[] strides = FlaxCheckpointReader.RowMajorStrides(shape);
        return transpose && shape.Length == 2
            ? new StoredTensor(new CheckpointTensorInfo(name, dtype, [shape[1], shape[0]]), storage, 0, [strides[1], strides[0]])
            : new StoredTensor(new CheckpointTensorInfo(name, dtype, shape), storage, 0, strides);
    }

    /// <summary>
    /// Reads a whole dataset when the file is opened, so that a damaged dataset fails the open, before any weight is
    /// copied into a model (HDF5 datasets may be chunked or filtered; the library resolves that).
    /// </summary>
    private static byte[] ReadAll(NativeDataset dataset, long bytes, string path, string weight)
    {
        byte[] all = dataset.Read<byte[]>();
        return all.Length == bytes
            ? all
            : throw new CheckpointFormatException(path, $"weight '{weight}' read as {all.Length} bytes, expected {bytes}.");
    }

    /// <summary>The PyTorch key of a Keras weight name, and whether the weight is a kernel stored transposed.</summary>
    internal static (string Name, bool Transpose) ToPyTorchName(string tfName, int rank)
    {
        string name = tfName.Replace(":0", "", StringComparison.Ordinal);
        name = NameScopePrefix.Replace(name, "/$1/");
        name = name.Replace("_._", "/", StringComparison.Ordinal);
        name = RepeatedSlash.Replace(name, "/");
        List<string> parts = name.Split('/').ToList();
        if (parts.Count > 1)
        {
            parts.RemoveAt(0);
        }

        bool transpose = parts[^1] == "kernel" && rank <= 2;
        parts[^1] = parts[^1] switch
        {
            "kernel" or "embeddings" or "gamma" => "weight",
            "beta" => "bias",
            string other => other,
        };
        return (string.Join(".", parts), transpose);
    }
}
