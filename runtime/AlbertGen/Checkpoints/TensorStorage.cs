using System.IO.Compression;
using Microsoft.Win32.SafeHandles;

namespace AlbertGen.Checkpoints;

/// <summary>The raw bytes of one stored tensor buffer (a torch storage, an ndarray, an HDF5 dataset), read on demand.</summary>
internal abstract class TensorStorage
{
    /// <summary>Bytes the storage holds.</summary>
    public abstract long ByteLength { get; }

    /// <summary>Fills <paramref name="destination"/> with the bytes from <paramref name="offset"/> on (the caller checks bounds).</summary>
    public abstract void Read(long offset, Span<byte> destination);
}

/// <summary>A byte range of a file, read with positional reads (no seeking, no shared cursor).</summary>
internal sealed class FileRegionStorage(SafeFileHandle file, string path, long start, long length) : TensorStorage
{
    public override long ByteLength => length;

    public override void Read(long offset, Span<byte> destination)
    {
        long position = start + offset;
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(file, destination, position);
            if (read == 0)
            {
                throw new CheckpointFormatException(path, $"the file ended at byte {position} inside a tensor's data (it shrank while open).");
            }

            destination = destination[read..];
            position += read;
        }
    }
}

/// <summary>
/// A zip entry (torch writes storages uncompressed): streamed from the archive straight into the destination, so a
/// storage costs one copy from the page cache.
/// </summary>
internal sealed class ZipEntryStorage(ZipArchiveEntry entry, string path) : TensorStorage
{
    public override long ByteLength => entry.Length;

    /// <summary>
    /// Reads the whole entry once and compares its CRC-32 with the archive's, so that a damaged storage fails the open,
    /// before any weight is copied into a model (the archive itself does not check stored entries).
    /// </summary>
    public void Verify()
    {
        var crc = new System.IO.Hashing.Crc32();
        byte[] buffer = new byte[1 << 20];
        long total = 0;
        try
        {
            using Stream stream = entry.Open();
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                crc.Append(buffer.AsSpan(0, read));
                total += read;
            }
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            throw new CheckpointFormatException(path, $"zip entry '{entry.FullName}' cannot be read ({e.Message}).", e);
        }

        if (total != entry.Length || crc.GetCurrentHashAsUInt32() != entry.Crc32)
        {
            throw new CheckpointFormatException(path,
                $"zip entry '{entry.FullName}' is damaged: {total} bytes with CRC-32 {crc.GetCurrentHashAsUInt32():x8}, the archive records {entry.Length} bytes with {entry.Crc32:x8}.");
        }
    }

    public override void Read(long offset, Span<byte> destination)
    {
        try
        {
            using Stream stream = entry.Open();
            Skip(stream, offset);
            stream.ReadExactly(destination);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or NotSupportedException)
        {
            throw new CheckpointFormatException(path, $"zip entry '{entry.FullName}' cannot be read ({e.Message}).", e);
        }
    }

    private static void Skip(Stream stream, long count)
    {
        if (count == 0)
        {
            return;
        }

        if (stream.CanSeek)
        {
            stream.Seek(count, SeekOrigin.Current);
            return;
        }

        byte[] buffer = new byte[(int)Math.Min(count, 1 << 20)];
        while (count > 0)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
            if (read == 0)
            {
                throw new EndOfStreamException("the entry is shorter than its header says");
            }

            count -= read;
        }
    }
}

/// <summary>Bytes already in memory (an HDF5 dataset read by the library, or a slice of a msgpack file).</summary>
internal sealed class MemoryStorage(ReadOnlyMemory<byte> bytes) : TensorStorage
{
    public override long ByteLength => bytes.Length;

    public override void Read(long offset, Span<byte> destination) => bytes.Span.Slice((int)offset, destination.Length).CopyTo(destination);
}
