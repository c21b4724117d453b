using AlbertGen.Hub;

namespace AlbertGen.Cli.Progress;

/// <summary>
/// Download progress as one line per file event, and a percentage at most every 10 % of a file, so logs stay
/// readable when the error stream is not a terminal.
/// </summary>
internal sealed class DownloadProgressLines(TextWriter writer) : IProgress<DownloadProgress>
{
    private readonly Dictionary<string, int> _lastDecile = new(StringComparer.Ordinal);

    public void Report(DownloadProgress value)
    {
        lock (_lastDecile)
        {
            switch (value.Stage)
            {
                case DownloadStage.Downloading when value.TotalBytes is > 0:
                    int decile = (int)(value.BytesTransferred * 10 / value.TotalBytes.Value);
                    if (!_lastDecile.TryGetValue(value.File, out int last) || decile > last)
                    {
                        _lastDecile[value.File] = decile;
                        writer.WriteLine($"{value.File}: {decile * 10,3} % of {Bytes(value.TotalBytes.Value)}");
                    }

                    break;
                case DownloadStage.Retrying:
                    writer.WriteLine($"{value.File}: retrying ({value.Message})");
                    break;
                case DownloadStage.Completed:
                    writer.WriteLine($"{value.File}: done ({Bytes(value.BytesTransferred)})");
                    break;
                case DownloadStage.AlreadyCached:
                    writer.WriteLine($"{value.File}: already in the cache");
                    break;
                case DownloadStage.NotPresent:
                    writer.WriteLine($"{value.File}: not in the repository (optional)");
                    break;
            }
        }
    }

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
