using System.CommandLine;
using AlbertGen.Hub;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen download</c>: fetches a model from the hub (or a mirror) into the HuggingFace cache.</summary>
internal static class DownloadCommand
{
    public static Command Create(CliContext context)
    {
        var repo = new Argument<string>("repo") { Description = "Hub repo id, e.g. albert/albert-base-v2." };
        var revision = new Option<string>("--revision") { Description = "Branch, tag or commit.", DefaultValueFactory = _ => HubRevision.Main };
        var endpoint = new Option<string?>("--endpoint") { Description = "Hub URL (default: $HF_ENDPOINT or https://huggingface.co); any server with the /{repo}/resolve/{revision}/{file} layout." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "HuggingFace cache folder (default: $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)." };
        var offline = new Option<bool>("--offline") { Description = "Do not use the network: only check that the model is in the cache." };
        var command = new Command("download", "Download config.json, spiece.model and the weights of a hub model into the HuggingFace cache.")
        {
            repo, revision, endpoint, cacheDir, offline,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var downloader = new HubDownloader(new HubDownloaderOptions { Offline = parse.GetValue(offline) ? true : null });
            var progress = new DownloadProgressPrinter(context.Error);
            HubSnapshot snapshot = await downloader.DownloadAsync(
                parse.GetValue(repo)!, parse.GetValue(revision) ?? HubRevision.Main, parse.GetValue(endpoint), parse.GetValue(cacheDir),
                progress, cancellationToken);
            await context.Output.WriteLineAsync(snapshot.Directory);
        });
        return command;
    }
}

/// <summary>
/// Prints download progress as one line per file event, and a percentage at most every 10 % of a file, so logs stay
/// readable when the error stream is not a terminal.
/// </summary>
internal sealed class DownloadProgressPrinter(TextWriter writer) : IProgress<DownloadProgress>
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
