using System.IO.Compression;
using System.Numerics;

namespace AlbertGen.Checkpoints;

/// <summary>
/// Opens a <c>torch.save</c>d state dict without executing it: the zip format (torch ≥ 1.6: <c>ARCHIVE/data.pkl</c> and
/// one uncompressed entry <c>ARCHIVE/data/KEY</c> per storage) and the legacy format (a magic-number pickle, the protocol
/// version, a system-info pickle, the state-dict pickle, the list of storage keys, then each storage as an int64 element
/// count and its raw bytes). The pickles are read by <see cref="RestrictedUnpickler"/>.
/// </summary>
internal static class PyTorchCheckpointReader
{
    /// <summary>Largest state-dict pickle accepted (the pickle holds names and shapes, not weights).</summary>
    public const long MaxPickleBytes = 256L * 1024 * 1024;

    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture);
    private const long LegacyProtocolVersion = 1001;

    /// <summary>Opens the file, in whichever of the two formats it is.</summary>
    /// <exception cref="CheckpointFormatException">Not a PyTorch checkpoint, malformed, truncated, or (as <see cref="UnsafePickleException"/>) hostile.</exception>
    public static ICheckpointFile Open(string path)
    {
        byte[] start = new byte[4];
        using (var probe = File.OpenRead(path))
        {
            if (probe.ReadAtLeast(start, 4, throwOnEndOfStream: false) < 2)
            {
                throw new CheckpointFormatException(path, $"the file is {probe.Length} bytes long, too short for a PyTorch checkpoint.");
            }
        }

        if (start[0] == (byte)'P' && start[1] == (byte)'K')
        {
            return OpenZip(path);
        }

        if (start[0] == 0x80)
        {
            return OpenLegacy(path);
        }

        throw new CheckpointFormatException(path,
            $"not a PyTorch checkpoint: it starts with bytes {Convert.ToHexString(start)}, expected a zip archive ('PK') or a pickle (0x80).");
    }

    private static ICheckpointFile OpenZip(string path)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(File.OpenRead(path), ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointFormatException(path, $"not a readable zip archive ({e.Message}).", e);
        }

        try
        {
            List<ZipArchiveEntry> pickles = archive.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)
                && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length).ToList();
            if (pickles.Count != 1)
            {
                bool torchScript = archive.Entries.Any(e => e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal));
                throw new CheckpointFormatException(path, torchScript
                    ? "a TorchScript archive, not a state dict saved with torch.save; save the model's state_dict() instead."
                    : $"a zip archive with {pickles.Count} 'ARCHIVE/data.pkl' entries; torch.save writes exactly one.");
            }

            string prefix = pickles[0].FullName[..^"data.pkl".Length];
            if (archive.GetEntry(prefix + "byteorder") is { } byteOrder && ReadSmallText(byteOrder, path) != "little")
            {
                throw new CheckpointFormatException(path, "the archive's storages are big-endian; only little-endian checkpoints are read.");
            }

            string pickleName = $"{path} ({pickles[0].FullName})";
            object? root;
            using (var pickle = new MemoryStream(ReadEntry(pickles[0], path)))
            {
                root = RestrictedUnpickler.Load(pickle, pickleName, pickle.Length, pid => ZipStorage(pid, pickleName));
            }

            var storages = new Dictionary<string, ZipEntryStorage>(StringComparer.Ordinal);
            TensorStorage Storage(PickleStorage s)
            {
                if (!storages.TryGetValue(s.Key, out ZipEntryStorage? storage))
                {
                    ZipArchiveEntry entry = archive.GetEntry(prefix + "data/" + s.Key)
                        ?? throw new CheckpointFormatException(path, $"storage '{s.Key}' is referenced by the pickle but the archive has no entry '{prefix}data/{s.Key}'.");
                    storages[s.Key] = storage = new ZipEntryStorage(entry, path);
                }

                return storage;
            }

            var file = new StridedCheckpointFile(path, CheckpointFormat.PyTorchZip, Tensors(root, pickleName, Storage), archive);
            foreach (ZipEntryStorage storage in storages.Values)
            {
                storage.Verify();
            }

            return file;
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            // The archive reads its central directory and entry headers lazily: damage there surfaces here.
            archive.Dispose();
            throw new CheckpointFormatException(path, $"not a readable zip archive ({e.Message}).", e);
        }
        catch
        {
            archive.Dispose();
            throw;
        }
    }

    private static object ZipStorage(PickleTuple pid, string source)
    {
        // ('storage', storage_type, key, location, numel)
        object?[] p = pid.Items;
        if (p.Length != 5 || p[0] is not "storage")
        {
            throw new CheckpointFormatException(source, $"persistent id {RestrictedUnpickler.Describe(pid)} is not ('storage', type, key, location, numel).");
        }

        return StorageFrom(p, source, viewOffset: 0);
    }

    private static PickleStorage StorageFrom(object?[] p, string source, long viewOffset)
    {
        if (!TorchStorageTypes.TryGetDType(p[1], out SafetensorsDType dtype))
        {
            throw new CheckpointFormatException(source, $"storage type {RestrictedUnpickler.Describe(p[1])} is not a torch storage class.");
        }

        if (p[2] is not string key || p[4] is not long numel || numel < 0)
        {
            throw new CheckpointFormatException(source, $"storage id has key {RestrictedUnpickler.Describe(p[2])} and size {RestrictedUnpickler.Describe(p[4])}; expected a string and a non-negative integer.");
        }

        return new PickleStorage(dtype, key, numel, viewOffset);
    }

    private static ICheckpointFile OpenLegacy(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            long length = stream.Length;
            long pickleEnd = Math.Min(length, MaxPickleBytes);
            if (RestrictedUnpickler.Load(stream, path, pickleEnd, null) is not BigInteger magic || magic != LegacyMagic)
            {
                throw new CheckpointFormatException(path, "a pickle, but not a torch.save checkpoint: its first value is not torch's magic number.");
            }

            if (RestrictedUnpickler.Load(stream, path, pickleEnd, null) is not long version || version != LegacyProtocolVersion)
            {
                throw new CheckpointFormatException(path, $"unsupported torch.save protocol version (expected {LegacyProtocolVersion}).");
            }

            if (RestrictedUnpickler.Load(stream, path, pickleEnd, null) is PickleDict sysInfo
                && sysInfo.Items.Any(kv => kv.Key is "little_endian" && kv.Value is false))
            {
                throw new CheckpointFormatException(path, "the checkpoint was saved on a big-endian machine; only little-endian checkpoints are read.");
            }

            var referenced = new Dictionary<string, PickleStorage>(StringComparer.Ordinal);
            object? root = RestrictedUnpickler.Load(stream, path, Math.Min(length, stream.Position + MaxPickleBytes), pid => LegacyStorage(pid, path, referenced));
            List<string> keys = RestrictedUnpickler.Load(stream, path, Math.Min(length, stream.Position + MaxPickleBytes), null) is List<object?> list && list.All(k => k is string)
                ? list.Cast<string>().ToList()
                : throw new CheckpointFormatException(path, "the storage key list after the state dict is not a list of strings.");

            var storages = new Dictionary<string, TensorStorage>(StringComparer.Ordinal);
            Span<byte> count = stackalloc byte[8];
            foreach (string key in keys)
            {
                if (stream.Read(count) < 8)
                {
                    throw new CheckpointFormatException(path, $"the file ends before storage '{key}'.");
                }

                long elements = BitConverter.ToInt64(count);
                if (!referenced.TryGetValue(key, out PickleStorage? described))
                {
                    throw new CheckpointFormatException(path, $"storage '{key}' is listed but no tensor uses it.");
                }

                int elementSize = SafetensorsDTypes.ElementSize(described.DType);
                long bytes = elements >= 0 && elements <= (length - stream.Position) / elementSize ? elements * elementSize : -1;
                if (bytes < 0)
                {
                    throw new CheckpointFormatException(path, $"storage '{key}' claims {elements} elements of {elementSize} bytes but only {length - stream.Position} bytes follow.");
                }

                if (!storages.TryAdd(key, new FileRegionStorage(stream.SafeFileHandle, path, stream.Position, bytes)))
                {
                    throw new CheckpointFormatException(path, $"storage '{key}' is stored twice.");
                }

                stream.Seek(bytes, SeekOrigin.Current);
            }

            TensorStorage Storage(PickleStorage s) => storages.TryGetValue(s.Key, out TensorStorage? storage)
                ? storage
                : throw new CheckpointFormatException(path, $"storage '{s.Key}' is referenced by the state dict but not stored in the file.");
            return new StridedCheckpointFile(path, CheckpointFormat.PyTorchLegacy, Tensors(root, path, Storage), stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static object LegacyStorage(PickleTuple pid, string path, Dictionary<string, PickleStorage> referenced)
    {
        // ('storage', storage_type, root_key, location, numel, view_metadata) with view_metadata None or (view_key, offset, size)
        object?[] p = pid.Items;
        if (p.Length != 6 || p[0] is not "storage")
        {
            throw new CheckpointFormatException(path, $"persistent id {RestrictedUnpickler.Describe(pid)} is not ('storage', type, key, location, size, view).");
        }

        PickleStorage root = StorageFrom(p, path, viewOffset: 0);
        if (referenced.TryGetValue(root.Key, out PickleStorage? known) && known.DType != root.DType)
        {
            throw new CheckpointFormatException(path, $"storage '{root.Key}' is used as two element types.");
        }

        referenced[root.Key] = root;
        if (p[5] is null)
        {
            return root;
        }

        if (p[5] is PickleTuple { Items: [string, long offset, long size] } && offset >= 0 && size >= 0)
        {
            return root with { ViewOffset = offset, ElementCount = size };
        }

        throw new CheckpointFormatException(path, $"storage view {RestrictedUnpickler.Describe(p[5])} is not (key, offset, size).");
    }

    /// <summary>The state dict's tensors as strided views; the storage's declared size is checked against its bytes.</summary>
    private static List<StoredTensor> Tensors(object? root, string source, Func<PickleStorage, TensorStorage> storageOf)
    {
        if (root is not PickleDict dict)
        {
            throw new CheckpointFormatException(source,
                $"the pickle holds {RestrictedUnpickler.Describe(root)}, not a state dict (a dict of names to tensors); save model.state_dict().");
        }

        var tensors = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
        foreach ((object? key, object? value) in dict.Items)
        {
            if (key is not string name)
            {
                throw new CheckpointFormatException(source, $"state-dict key {RestrictedUnpickler.Describe(key)} is not a string.");
            }

            if (value is not PickleTensor t)
            {
                throw new CheckpointFormatException(source, $"state-dict entry '{name}' is {RestrictedUnpickler.Describe(value)}, not a tensor.");
            }

            TensorStorage storage = storageOf(t.Storage);
            long declaredBytes;
            try
            {
                declaredBytes = checked((t.Storage.ViewOffset + t.Storage.ElementCount) * SafetensorsDTypes.ElementSize(t.Storage.DType));
            }
            catch (OverflowException)
            {
                throw new CheckpointFormatException(source, $"tensor '{name}': its storage size {t.Storage.ElementCount} overflows.");
            }

            if (declaredBytes > storage.ByteLength)
            {
                throw new CheckpointFormatException(source,
                    $"tensor '{name}': storage '{t.Storage.Key}' should hold {t.Storage.ElementCount} {SafetensorsDTypes.Name(t.Storage.DType)} elements ({declaredBytes} bytes) but has {storage.ByteLength} bytes.");
            }

            long extent;
            try
            {
                extent = StridedCheckpointFile.Extent(t.Shape, t.Strides);
                _ = checked(t.Offset + extent);
            }
            catch (OverflowException)
            {
                throw new CheckpointFormatException(source, $"tensor '{name}': size and stride overflow.");
            }

            if (extent > 0 && t.Offset + extent > t.Storage.ElementCount)
            {
                throw new CheckpointFormatException(source,
                    $"tensor '{name}' (size [{string.Join(", ", t.Shape)}], stride [{string.Join(", ", t.Strides)}], offset {t.Offset}) reaches element {t.Offset + extent} of a {t.Storage.ElementCount}-element storage.");
            }

            var info = new CheckpointTensorInfo(name, t.Storage.DType, t.Shape);
            tensors[name] = new StoredTensor(info, storage, t.Storage.ViewOffset + t.Offset, t.Strides);
        }

        return tensors.Values.ToList();
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, string path)
    {
        if (entry.Length > MaxPickleBytes)
        {
            throw new CheckpointFormatException(path, $"'{entry.FullName}' is {entry.Length} bytes; a state-dict pickle above {MaxPickleBytes} bytes is refused.");
        }

        try
        {
            using Stream stream = entry.Open();
            byte[] bytes = new byte[entry.Length];
            stream.ReadExactly(bytes);
            return System.IO.Hashing.Crc32.HashToUInt32(bytes) == entry.Crc32
                ? bytes
                : throw new CheckpointFormatException(path, $"zip entry '{entry.FullName}' is damaged: its CRC-32 is not the one the archive records.");
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or NotSupportedException)
        {
            throw new CheckpointFormatException(path, $"zip entry '{entry.FullName}' cannot be read ({e.Message}).", e);
        }
    }

    private static string ReadSmallText(ZipArchiveEntry entry, string path) =>
        entry.Length > 64 ? "" : System.Text.Encoding.ASCII.GetString(ReadEntry(entry, path)).Trim();
}
