using System.Text.Json;
using static TorchSharp.torch;

namespace AlbertGen.Checkpoints;

/// <summary>Writes tensors to a safetensors file (header padded to 8 bytes as the reference writer does).</summary>
public static class SafetensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> in the given order to <paramref name="path"/>, replacing it atomically
    /// (a temporary file renamed over the target).
    /// </summary>
    /// <param name="path">Target file.</param>
    /// <param name="tensors">Name and tensor pairs; each tensor is written in its own dtype (any device).</param>
    /// <param name="metadata">Entries of <c>__metadata__</c>; defaults to <c>{"format": "pt"}</c>.</param>
    /// <exception cref="ArgumentException">Duplicate names.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        List<KeyValuePair<string, Tensor>> items = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        byte[] header = BuildHeader(items, metadata ?? new Dictionary<string, string> { ["format"] = "pt" }, names);

        AtomicFile.Write(path, temporary =>
        {
            using var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
            Span<byte> length = stackalloc byte[8];
            BitConverter.TryWriteBytes(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach ((string _, Tensor tensor) in items)
            {
                WriteData(stream, tensor);
            }
        });
    }

    private static byte[] BuildHeader(List<KeyValuePair<string, Tensor>> items, IReadOnlyDictionary<string, string> metadata, HashSet<string> names)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            foreach ((string key, string value) in metadata)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            long offset = 0;
            foreach ((string name, Tensor tensor) in items)
            {
                if (!names.Add(name) || name == "__metadata__")
                {
                    throw new ArgumentException($"Tensor name '{name}' is duplicated or reserved.", nameof(items));
                }

                SafetensorsDType dtype = SafetensorsDTypes.FromScalarType(tensor.dtype);
                long bytes = tensor.NumberOfElements * SafetensorsDTypes.ElementSize(dtype);
                json.WriteStartObject(name);
                json.WriteString("dtype", SafetensorsDTypes.Name(dtype));
                json.WriteStartArray("shape");
                foreach (long dim in tensor.shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }

            json.WriteEndObject();
        }

        int padded = (int)((buffer.Length + 7) / 8 * 8);
        while (buffer.Length < padded)
        {
            buffer.WriteByte((byte)' ');
        }

        return buffer.ToArray();
    }

    private static void WriteData(Stream stream, Tensor tensor)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Writing safetensors needs a little-endian machine.");
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor flat = tensor.detach().cpu().contiguous().view(-1);
        int elementSize = SafetensorsDTypes.ElementSize(SafetensorsDTypes.FromScalarType(tensor.dtype));
        long chunkElements = (1L << 30) / elementSize;
        for (long start = 0; start < flat.shape[0]; start += chunkElements)
        {
            long count = Math.Min(chunkElements, flat.shape[0] - start);
            stream.Write(flat.narrow(0, start, count).bytes);
        }
    }
}
