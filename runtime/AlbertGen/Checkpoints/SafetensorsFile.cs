using TorchSharp;
using Microsoft.Win32.SafeHandles;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace AlbertGen.Checkpoints;

/// <summary>
/// A safetensors file opened for reading: the header is read and validated up front (it is untrusted input), then tensors
/// are read one by one straight into their destination's memory, never the whole file at once.
/// </summary>
/// <remarks>
/// Validation: the 8-byte header length must fit in the file and stay under <see cref="MaxHeaderBytes"/>; the header must be a
/// JSON object whose entries have a supported <c>dtype</c>, a <c>shape</c> of non-negative integers and
/// <c>data_offsets</c> [begin, end] inside the data section, with <c>end - begin = elements · element size</c>, no two tensors
/// overlapping, and no duplicate names; <c>__metadata__</c> must map strings to strings; the header must be valid UTF-8.
/// </remarks>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>Largest header accepted (100 MB, the limit of the reference implementation).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly Dictionary<string, SafetensorsTensorInfo> _tensors;
    private readonly long _dataStart;
    private SafeFileHandle? _handle;

    private SafetensorsFile(string path, long fileLength, long dataStart, Dictionary<string, SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        FilePath = path;
        FileLength = fileLength;
        _dataStart = dataStart;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file's path.</summary>
    public string FilePath { get; }

    /// <summary>The file's length in bytes.</summary>
    public long FileLength { get; }

    /// <summary>The tensors, by name, in header order.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors => _tensors;

    /// <summary>The <c>__metadata__</c> entries (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and validates a safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The opened file; dispose it to close it.</returns>
    /// <exception cref="SafetensorsFormatException">The file is malformed.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafetensorsFile Open(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        long length = stream.Length;
        if (length < 8)
        {
            throw new SafetensorsFormatException(path, $"the file is {length} bytes long, too short for the 8-byte header length.");
        }

        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BitConverter.ToUInt64(prefix);
        if (headerLength > (ulong)(length - 8))
        {
            throw new SafetensorsFormatException(path, $"the header length is {headerLength} bytes but only {length - 8} bytes follow it.");
        }

        if (headerLength > MaxHeaderBytes)
        {
            throw new SafetensorsFormatException(path, $"the header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit.");
        }

        if (headerLength < 2)
        {
            throw new SafetensorsFormatException(path, $"the header length is {headerLength}; a JSON object needs at least 2 bytes.");
        }

        byte[] header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = length - dataStart;
        (var tensors, var metadata) = ParseHeader(path, header, dataLength);
        return new SafetensorsFile(path, length, dataStart, tensors, metadata);
    }

    private static (Dictionary<string, SafetensorsTensorInfo>, IReadOnlyDictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        // JsonDocument validates UTF-8 only when a string is materialised (and then throws InvalidOperationException):
        // check the whole header first, as the format requires UTF-8.
        if (!System.Text.Unicode.Utf8.IsValid(header))
        {
            throw new SafetensorsFormatException(path, "the header is not valid UTF-8.");
        }

        // The reference writer pads the header with trailing spaces; JSON allows trailing whitespace.
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(path, $"the header is not valid JSON ({e.Message}).", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SafetensorsFormatException(path, $"the header must be a JSON object, found {doc.RootElement.ValueKind}.");
            }

            var tensors = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (JsonProperty entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    if (sawMetadata)
                    {
                        throw new SafetensorsFormatException(path, "the header has two __metadata__ entries.");
                    }

                    sawMetadata = true;
                    ParseMetadata(path, entry.Value, metadata);
                    continue;
                }

                if (tensors.ContainsKey(entry.Name))
                {
                    throw new SafetensorsFormatException(path, $"tensor '{entry.Name}' appears twice in the header.");
                }

                tensors.Add(entry.Name, ParseTensor(path, entry.Name, entry.Value, dataLength));
            }

            CheckNoOverlap(path, tensors.Values);
            return (tensors, metadata);
        }
    }

    private static void ParseMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafetensorsFormatException(path, $"__metadata__ must be an object of strings, found {value.ValueKind}.");
        }

        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw new SafetensorsFormatException(path, $"__metadata__ entry '{item.Name}' must be a string, found {item.Value.ValueKind}.");
            }

            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafetensorsTensorInfo ParseTensor(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafetensorsFormatException(path, $"tensor '{name}': entry must be an object, found {value.ValueKind}.");
        }

        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw new SafetensorsFormatException(path, $"tensor '{name}': missing string field 'dtype'.");
        }

        string dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out SafetensorsDType dtype))
        {
            throw new SafetensorsFormatException(path, $"tensor '{name}': unsupported dtype '{dtypeName}' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL).");
        }

        if (!value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw new SafetensorsFormatException(path, $"tensor '{name}': missing array field 'shape'.");
        }

        var shape = new List<long>();
        long elements = 1;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long size) || size < 0)
            {
                throw new SafetensorsFormatException(path, $"tensor '{name}': shape entries must be non-negative integers, found {dim.GetRawText()}.");
            }

            shape.Add(size);
            try
            {
                elements = checked(elements * size);
            }
            catch (OverflowException)
            {
                throw new SafetensorsFormatException(path, $"tensor '{name}': shape {shapeElement.GetRawText()} has too many elements.");
            }
        }

        if (!value.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw new SafetensorsFormatException(path, $"tensor '{name}': missing field 'data_offsets' [begin, end].");
        }

        if (!offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
        {
            throw new SafetensorsFormatException(path, $"tensor '{name}': data_offsets {offsets.GetRawText()} must be integers with 0 ≤ begin ≤ end.");
        }

        if (end > dataLength)
        {
            throw new SafetensorsFormatException(path, $"tensor '{name}': data_offsets [{begin}, {end}] reach past the {dataLength}-byte data section.");
        }

        long expectedBytes;
        try
        {
            expectedBytes = checked(elements * SafetensorsDTypes.ElementSize(dtype));
        }
        catch (OverflowException)
        {
            throw new SafetensorsFormatException(path, $"tensor '{name}': shape {shapeElement.GetRawText()} has too many elements.");
        }

        if (end - begin != expectedBytes)
        {
            throw new SafetensorsFormatException(path,
                $"tensor '{name}': {dtypeName} {shapeElement.GetRawText()} needs {expectedBytes} bytes but data_offsets [{begin}, {end}] span {end - begin}.");
        }

        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static void CheckNoOverlap(string path, IEnumerable<SafetensorsTensorInfo> tensors)
    {
        SafetensorsTensorInfo? previous = null;
        foreach (SafetensorsTensorInfo t in tensors.Where(t => t.End > t.Begin).OrderBy(t => t.Begin))
        {
            if (previous is not null && t.Begin < previous.End)
            {
                throw new SafetensorsFormatException(path,
                    $"tensors '{previous.Name}' [{previous.Begin}, {previous.End}] and '{t.Name}' [{t.Begin}, {t.End}] overlap.");
            }

            previous = t;
        }
    }

    /// <summary>Reads a tensor into a new CPU tensor of its stored dtype.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>A new tensor the caller owns.</returns>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    public Tensor ReadTensor(string name)
    {
        SafetensorsTensorInfo info = Info(name);
        // Created flat and then viewed: TorchSharp's empty() turns a zero-length size into [1], not a scalar.
        using Tensor flat = empty(info.ElementCount, SafetensorsDTypes.ToScalarType(info.DType));
        Tensor result = flat.view(info.Shape.ToArray());
        try
        {
            CopyBytes(info, result);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies a tensor into <paramref name="destination"/>, converting dtype and device. When the destination is a contiguous
    /// CPU tensor of the stored dtype, the bytes are read from the file straight into it.
    /// </summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="destination">A tensor with the same number of elements (the caller checks shapes).</param>
    public void CopyTo(string name, Tensor destination)
    {
        SafetensorsTensorInfo info = Info(name);
        using var noGrad = no_grad();
        if (destination.device_type == DeviceType.CPU && destination.dtype == SafetensorsDTypes.ToScalarType(info.DType) && destination.is_contiguous())
        {
            CopyBytes(info, destination);
            return;
        }

        using Tensor staged = ReadTensor(name);
        destination.copy_(staged.view(destination.shape));
    }

    private SafetensorsTensorInfo Info(string name) =>
        _tensors.TryGetValue(name, out SafetensorsTensorInfo? info)
            ? info
            : throw new KeyNotFoundException($"{FilePath}: no tensor named '{name}'.");

    /// <summary>
    /// Reads the raw bytes of <paramref name="info"/> from the file into a contiguous CPU tensor, in chunks a span can address.
    /// Plain reads rather than a memory map: the bytes go once from the page cache into the tensor, and the file's pages never
    /// count in the process's resident set (mapped, they would double the weights' share of peak memory while loading).
    /// </summary>
    private void CopyBytes(SafetensorsTensorInfo info, Tensor destination)
    {
        long total = info.End - info.Begin;
        if (total == 0)
        {
            return;
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Reading safetensors needs a little-endian machine.");
        }

        _handle ??= File.OpenHandle(FilePath, FileMode.Open, FileAccess.Read, FileShare.Read);
        var region = new FileRegionStorage(_handle, FilePath, _dataStart + info.Begin, total);
        int elementSize = SafetensorsDTypes.ElementSize(info.DType);
        long chunkElements = (1L << 30) / elementSize;
        long elements = total / elementSize;
        using Tensor flat = destination.view(-1);
        for (long start = 0; start < elements; start += chunkElements)
        {
            long count = Math.Min(chunkElements, elements - start);
            using Tensor part = flat.narrow(0, start, count);
            region.Read(start * elementSize, part.bytes);
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        _handle?.Dispose();
        _handle = null;
    }

    /// <summary>Describes the header for messages: <c>name dtype [shape]</c> per tensor.</summary>
    /// <returns>One line per tensor.</returns>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (SafetensorsTensorInfo t in _tensors.Values)
        {
            sb.Append(t.Name).Append(' ').Append(SafetensorsDTypes.Name(t.DType)).Append(' ').AppendLine(t.ShapeText);
        }

        return sb.ToString();
    }
}
