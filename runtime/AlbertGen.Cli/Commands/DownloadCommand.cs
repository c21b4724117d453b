using System.CommandLine;
using AlbertGen.Cli.Progress;
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
        var command = new Command("download", "Download config.json, the tokenizer (spiece.model and/or tokenizer.json) and the weights of a hub model into the HuggingFace cache.")
        {
            repo, revision, endpoint, cacheDir, offline,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var downloader = new HubDownloader(new HubDownloaderOptions { Offline = parse.GetValue(offline) ? true : null });
            HubSnapshot snapshot = await TerminalProgress.DownloadAsync(context, progress => downloader.DownloadAsync(
                parse.GetValue(repo)!, parse.GetValue(revision) ?? HubRevision.Main, parse.GetValue(endpoint), parse.GetValue(cacheDir),
                progress, cancellationToken));
            await context.Output.WriteLineAsync(snapshot.Directory);
        });
        return command;
    }
}
