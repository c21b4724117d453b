using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace AlbertGen.Hub;

/// <summary>
/// Cheap checks that a downloaded file is what its name says, catching the usual garbage: an HTML error or login
/// page served with status 200 by a proxy, a captive portal or a misconfigured mirror.
/// </summary>
internal static class ContentValidation
{
    /// <summary>The largest safetensors JSON header accepted (the format's own readers use the same bound).</summary>
    private const long MaxSafetensorsHeader = 100_000_000;

    /// <summary>Why the file at <paramref name="path"/> is not a valid <paramref name="fileName"/>, or <see langword="null"/> when it looks right.</summary>
    public static string? Check(string fileName, string path)
    {
        if (LooksLikeHtml(path))
        {
            return "it is an HTML page";
        }

        if (fileName.EndsWith(".safetensors", StringComparison.Ordinal))
        {
            return CheckSafetensors(path);
        }

        if (fileName.EndsWith(".json", StringComparison.Ordinal))
        {
            return CheckJson(fileName, path);
        }

        if (fileName.EndsWith(".bin", StringComparison.Ordinal))
        {
            return StartsWithAny(path, "PK\u0003\u0004"u8.ToArray(), [0x80])
                ? null
                : "it starts neither like a zip archive nor like a pickle, as a torch.save checkpoint does";
        }

        if (fileName.EndsWith(".h5", StringComparison.Ordinal))
        {
            return StartsWithAny(path, [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A]) ? null : "it lacks the HDF5 signature";
        }

        if (fileName.EndsWith(".msgpack", StringComparison.Ordinal))
        {
            return StartsWithAny(path, [0xDE], [0xDF]) || StartsWithRange(path, 0x80, 0x8F) ? null : "it does not start with a msgpack map";
        }

        return null;
    }

    private static string? CheckSafetensors(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> start = stackalloc byte[9];
        if (stream.ReadAtLeast(start, 9, throwOnEndOfStream: false) < 9)
        {
            return $"it has {stream.Length} bytes, too few for a safetensors header";
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(start);
        if (headerLength < 2 || headerLength > MaxSafetensorsHeader || (long)headerLength > stream.Length - 8)
        {
            return $"its first 8 bytes give a header length of {headerLength}, not a sane safetensors header " +
                $"(at least 2, at most {Math.Min(MaxSafetensorsHeader, stream.Length - 8)})";
        }

        return start[8] == (byte)'{' ? null : "its header does not start with '{' as a safetensors JSON header does";
    }

    private static string? CheckJson(string fileName, string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return $"it is JSON, but a {root.ValueKind} instead of an object";
            }

            if (AlbertRepoFiles.IsIndex(fileName))
            {
                if (!root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                {
                    return "it has no \"weight_map\" object";
                }

                foreach (var entry in map.EnumerateObject())
                {
                    if (entry.Value.ValueKind != JsonValueKind.String)
                    {
                        return $"\"weight_map\" maps \"{entry.Name}\" to a {entry.Value.ValueKind} instead of a file name";
                    }
                }
            }

            return null;
        }
        catch (JsonException e)
        {
            return $"it is not valid JSON ({e.Message})";
        }
    }

    private static bool StartsWithAny(string path, params byte[][] prefixes)
    {
        byte[] start = ReadStart(path, prefixes.Max(p => p.Length));
        return prefixes.Any(p => start.AsSpan().StartsWith(p));
    }

    private static bool StartsWithRange(string path, byte low, byte high)
    {
        byte[] start = ReadStart(path, 1);
        return start.Length == 1 && start[0] >= low && start[0] <= high;
    }

    private static byte[] ReadStart(string path, int count)
    {
        using var stream = File.OpenRead(path);
        byte[] buffer = new byte[count];
        return buffer[..stream.ReadAtLeast(buffer, count, throwOnEndOfStream: false)];
    }

    private static bool LooksLikeHtml(string path)
    {
        using var stream = File.OpenRead(path);
        byte[] buffer = new byte[256];
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        string text = Encoding.UTF8.GetString(buffer, 0, read).TrimStart(' ', '\t', '\r', '\n', '\uFEFF');
        return text.StartsWith("<!doctype html", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("<html", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("<head", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("<body", StringComparison.OrdinalIgnoreCase);
    }
}
