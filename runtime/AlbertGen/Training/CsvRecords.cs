using System.Text;

namespace AlbertGen.Training;

/// <summary>
/// Reads RFC 4180 CSV: comma-separated fields, fields in double quotes may hold commas, line breaks and doubled quotes.
/// Each record carries the 1-based line it starts on, for error messages.
/// </summary>
/// <remarks>
/// Hand-written rather than CsvHelper because this is all of CSV the library reads (training data: a header and text
/// fields, no type conversion, no dialects), and CsvHelper would become a dependency of every consumer of the core
/// <c>AlbertGen</c> package for it; the two malformed cases RFC 4180 has (an unclosed quote, text after a closing quote)
/// are reported here as <see cref="TrainingDataException"/>s naming the file and line (<c>TrainingDataReaderTests</c> cover
/// quoting, embedded line breaks, CRLF and both errors).
/// </remarks>
internal static class CsvRecords
{
    /// <summary>The records of a CSV text.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="path">File name for error messages.</param>
    /// <returns>Each record with its first line number; blank lines are skipped.</returns>
    /// <exception cref="TrainingDataException">A quoted field is not closed, or text follows a closing quote.</exception>
    public static IEnumerable<(int Line, List<string> Fields)> Read(TextReader reader, string path)
    {
        int line = 1;
        int c = reader.Read();
        while (c != -1)
        {
            int start = line;
            var fields = new List<string>();
            var field = new StringBuilder();
            bool recordEnded = false;
            bool anything = false;
            while (!recordEnded)
            {
                if (c == '"' && field.Length == 0)
                {
                    anything = true;
                    c = reader.Read();
                    while (true)
                    {
                        if (c == -1)
                        {
                            throw new TrainingDataException(new SourceLocation(path, start), "a quoted field is never closed.");
                        }

                        if (c == '"')
                        {
                            c = reader.Read();
                            if (c != '"')
                            {
                                break;
                            }
                        }

                        if (c == '\n')
                        {
                            line++;
                        }

                        field.Append((char)c);
                        c = reader.Read();
                    }

                    if (c is not (',' or '\n' or '\r' or -1))
                    {
                        throw new TrainingDataException(new SourceLocation(path, line), "text after a closing quote; double a quote inside a quoted field (\"\").");
                    }
                }

                switch (c)
                {
                    case ',':
                        anything = true;
                        fields.Add(field.ToString());
                        field.Clear();
                        c = reader.Read();
                        break;
                    case '\r':
                        c = reader.Read();
                        break;
                    case '\n':
                    case -1:
                        fields.Add(field.ToString());
                        recordEnded = true;
                        if (c == '\n')
                        {
                            line++;
                            c = reader.Read();
                        }

                        break;
                    default:
                        anything = true;
                        field.Append((char)c);
                        c = reader.Read();
                        break;
                }
            }

            if (anything || fields.Exists(f => f.Length > 0))
            {
                yield return (start, fields);
            }
        }
    }
}
