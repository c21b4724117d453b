namespace AlbertGen.Cluster.Jobs;

/// <summary>
/// Cuts a JSON-lines file into shards of whole lines by byte ranges, counting lines as
/// <see cref="StreamReader.ReadLine"/> does (<c>\n</c>, <c>\r\n</c>, lone <c>\r</c>) so shard line numbers match the file's.
/// </summary>
public static class InputSplitter
{
    /// <summary>The shards of a file, each <paramref name="linesPerShard"/> lines (the last one fewer).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="linesPerShard"/> is less than 1.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static List<ShardRange> Split(string path, int linesPerShard)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(linesPerShard, 1);
        var shards = new List<ShardRange>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        byte[] buffer = new byte[1 << 16];
        long position = 0;
        long shardStart = 0;
        int lineCount = 0;
        int firstLine = 1;
        bool pendingCarriageReturn = false;
        bool midLine = false;

        void EndLine(long end)
        {
            midLine = false;
            if (++lineCount == linesPerShard)
            {
                shards.Add(new ShardRange { Index = shards.Count, Start = shardStart, End = end, FirstLine = firstLine, LineCount = lineCount });
                shardStart = end;
                firstLine += lineCount;
                lineCount = 0;
            }
        }

        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            for (int i = 0; i < read; i++, position++)
            {
                byte b = buffer[i];
                if (pendingCarriageReturn)
                {
                    pendingCarriageReturn = false;
                    if (b == (byte)'\n')
                    {
                        EndLine(position + 1);
                        continue;
                    }

                    EndLine(position);
                }

                if (b == (byte)'\r')
                {
                    pendingCarriageReturn = true;
                }
                else if (b == (byte)'\n')
                {
                    EndLine(position + 1);
                }
                else
                {
                    midLine = true;
                }
            }
        }

        if (pendingCarriageReturn)
        {
            EndLine(position);
        }
        else if (midLine)
        {
            EndLine(position);
        }

        if (lineCount > 0)
        {
            shards.Add(new ShardRange { Index = shards.Count, Start = shardStart, End = position, FirstLine = firstLine, LineCount = lineCount });
        }

        return shards;
    }
}
