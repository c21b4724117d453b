using System.Text;
using System.Text.Json;

namespace AlbertGen.Batch;

/// <summary>
/// Reads JSON-lines input: one object per non-blank line. Lines end as <see cref="StreamReader.ReadLine"/> ends them
/// (<c>\n</c>, <c>\r\n</c> or a lone <c>\r</c>), so a whole file and its byte ranges number lines alike.
/// </summary>
public static class JsonlReader
{
    /// <summary>Every object of a file.</summary>
    /// <exception cref="JsonlLineException">A line is not a JSON object; the message names the file and line.</exception>
    public static List<JsonlLine> Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, path, 1);
    }

    /// <summary>
    /// The objects of the bytes [<paramref name="start"/>, <paramref name="end"/>) of a file, which must start at the
    /// beginning of a line; <paramref name="firstLine"/> is the 1-based number of that line in the file.
    /// </summary>
    /// <exception cref="JsonlLineException">A line is not a JSON object.</exception>
    /// <exception cref="IOException">The file is shorter than <paramref name="end"/>.</exception>
    public static List<JsonlLine> Read(string path, long start, long end, int firstLine)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(end, start);
        byte[] bytes = new byte[checked((int)(end - start))];
        using (var file = File.OpenHandle(path))
        {
            int read = 0;
            while (read < bytes.Length)
            {
                int n = RandomAccess.Read(file, bytes.AsSpan(read), start + read);
                if (n == 0)
                {
                    throw new IOException($"{path}: the file ends at byte {start + read}, before the expected end {end}; was it changed while the job ran?");
                }

                read += n;
            }
        }

        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: start == 0);
        return Read(reader, path, firstLine);
    }

    private static List<JsonlLine> Read(StreamReader reader, string path, int firstLine)
    {
        var lines = new List<JsonlLine>();
        int number = firstLine - 1;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonElement element;
            try
            {
                using JsonDocument document = JsonDocument.Parse(line);
                element = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new JsonlLineException(path, number, $"not valid JSON ({e.Message.ReplaceLineEndings(" ")}).", e);
            }

            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new JsonlLineException(path, number, $"expected a JSON object, found {element.ValueKind.ToString().ToLowerInvariant()}.");
            }

            lines.Add(new JsonlLine(path, number, element));
        }

        return lines;
    }
}
