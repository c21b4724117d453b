using System.Collections.Concurrent;
using AlbertGen.Hub;

namespace AlbertGen.Tests.Hub;

/// <summary>Downloads that succeed: the cache layout they leave, and what they reuse.</summary>
public sealed class HubDownloaderTests
{
    [Fact]
    public async Task Download_with_hub_headers_lays_out_blobs_snapshot_links_and_ref()
    {
        await using var context = new HubTestContext(hubHeaders: true);
        context.WriteRepo();

        var snapshot = await context.DownloadAsync();

        string commit = context.Server.Commit;
        Assert.Equal(commit, snapshot.Commit);
        Assert.Equal(Path.Combine(context.RepoFolder, "snapshots", commit), snapshot.Directory);
        Assert.Equal(commit, File.ReadAllText(Path.Combine(context.RepoFolder, "refs", "main")));
        Assert.Equal(["config.json", "spiece.model", "tokenizer.json", "model.safetensors"], snapshot.Files);

        // LFS file: the blob is named by the sha256 the hub announced, and the snapshot entry links to it.
        string sha = TestHubServer.Sha256Hex(context.Weights);
        var weights = new FileInfo(snapshot.GetPath("model.safetensors"));
        Assert.Equal($"../../blobs/{sha}", weights.LinkTarget);
        Assert.Equal(context.Weights, File.ReadAllBytes(weights.FullName));
        Assert.Equal(HubFiles.Config, File.ReadAllBytes(snapshot.GetPath("config.json")));
        Assert.Equal(HubFiles.SentencePiece, File.ReadAllBytes(snapshot.GetPath("spiece.model")));
        Assert.DoesNotContain(context.Blobs(), b => b.EndsWith(".incomplete", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Download_from_a_plain_server_names_the_snapshot_after_the_revision()
    {
        await using var context = new HubTestContext(hubHeaders: false);
        context.WriteRepo();

        var snapshot = await context.DownloadAsync();

        Assert.Equal("main", snapshot.Commit);
        Assert.Equal(Path.Combine(context.RepoFolder, "snapshots", "main"), snapshot.Directory);
        Assert.Equal("main", File.ReadAllText(Path.Combine(context.RepoFolder, "refs", "main")));
        // Without an ETag the blob is named by its content's sha256.
        Assert.Equal($"../../blobs/{TestHubServer.Sha256Hex(context.Weights)}", new FileInfo(snapshot.GetPath("model.safetensors")).LinkTarget);
        Assert.Equal(context.Weights, File.ReadAllBytes(snapshot.GetPath("model.safetensors")));
    }

    [Fact]
    public async Task A_missing_optional_tokenizer_json_is_recorded_and_tolerated()
    {
        await using var context = new HubTestContext();
        context.WriteRepo(tokenizerJson: false);
        var stages = new ConcurrentQueue<DownloadProgress>();

        var snapshot = await context.DownloadAsync(progress: new SyncProgress<DownloadProgress>(stages.Enqueue));

        Assert.DoesNotContain("tokenizer.json", snapshot.Files);
        Assert.Contains(stages, p => p is { File: "tokenizer.json", Stage: DownloadStage.NotPresent });
        Assert.True(File.Exists(Path.Combine(context.RepoFolder, ".no_exist", context.Server.Commit, "tokenizer.json")));
    }

    [Fact]
    public async Task A_sharded_checkpoint_brings_its_index_and_every_shard()
    {
        await using var context = new HubTestContext();
        string served = context.WriteRepo(sharded: true);

        var snapshot = await context.DownloadAsync();

        Assert.Contains("model.safetensors.index.json", snapshot.Files);
        foreach (string shard in new[] { "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors" })
        {
            Assert.Contains(shard, snapshot.Files);
            Assert.Equal(File.ReadAllBytes(Path.Combine(served, shard)), File.ReadAllBytes(snapshot.GetPath(shard)));
        }

        Assert.DoesNotContain("model.safetensors", snapshot.Files);
        Assert.Equal(snapshot.Directory, new HubCache(context.CacheDir).ResolveSnapshot(HubRepoId.Parse(HubTestContext.Repo)).Directory);
    }

    [Fact]
    public async Task Files_after_the_first_are_requested_at_the_commit_the_hub_resolved()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();

        await context.DownloadAsync();

        var heads = context.Server.Requests.Where(r => r.Method == "HEAD").ToList();
        // config, spiece.model, tokenizer.json, the absent tokenizer_config.json and special_tokens_map.json, the weights
        // (the LFS file's HEAD stops at the redirect to the CDN's origin).
        Assert.Equal(6, heads.Count);
        Assert.Contains("/resolve/main/config.json", heads[0].Path, StringComparison.Ordinal);
        Assert.All(heads.Skip(1), r => Assert.Contains($"/resolve/{context.Server.Commit}/", r.Path, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_download_reuses_the_cached_blobs()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        await context.DownloadAsync();
        int before = context.Server.Requests.Count;
        var stages = new ConcurrentQueue<DownloadProgress>();

        await context.DownloadAsync(progress: new SyncProgress<DownloadProgress>(stages.Enqueue));

        Assert.DoesNotContain(context.Server.Requests.Skip(before), r => r.Method == "GET");
        Assert.Equal(4, stages.Count(p => p.Stage == DownloadStage.AlreadyCached));
    }

    [Fact]
    public async Task After_a_download_the_model_is_found_offline_without_a_server()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        var online = await context.DownloadAsync();
        await context.Server.DisposeAsync();

        using var downloader = context.Downloader(offline: true);
        var offline = await downloader.DownloadAsync(HubTestContext.Repo, "main", "http://127.0.0.1:9", context.CacheDir);
        var located = ModelLocator.Locate(HubTestContext.Repo, "main", context.CacheDir, HubTestContext.NoEnvironment);

        Assert.Equal(online.Directory, offline.Directory);
        Assert.Equal(online.Directory, located.Directory);
        Assert.Equal(online.Commit, located.Snapshot!.Commit);
    }

    [Fact]
    public async Task Offline_mode_reports_a_model_missing_from_the_cache()
    {
        await using var context = new HubTestContext();
        using var downloader = context.Downloader(offline: true);

        var error = await Assert.ThrowsAsync<HubException>(
            () => downloader.DownloadAsync(HubTestContext.Repo, "main", context.Server.Endpoint, context.CacheDir));

        Assert.Equal(HubErrorKind.NotInCache, error.Kind);
        Assert.Contains("albert/tiny-albert", error.Message, StringComparison.Ordinal);
        Assert.Contains("Offline mode", error.Message, StringComparison.Ordinal);
        Assert.Empty(context.Server.Requests);
    }

    [Fact]
    public async Task HF_HUB_OFFLINE_turns_offline_mode_on()
    {
        await using var context = new HubTestContext();
        using var downloader = new HubDownloader(new HubDownloaderOptions
        {
            Environment = new HubEnvironment(name => name == "HF_HUB_OFFLINE" ? "1" : null),
        });

        var error = await Assert.ThrowsAsync<HubException>(
            () => downloader.DownloadAsync(HubTestContext.Repo, "main", context.Server.Endpoint, context.CacheDir));

        Assert.Contains("HF_HUB_OFFLINE", error.Message, StringComparison.Ordinal);
        Assert.Empty(context.Server.Requests);
    }

    [Fact]
    public async Task The_token_is_sent_as_a_bearer_token()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        using var downloader = context.Downloader(token: "hf_secret");

        await downloader.DownloadAsync(HubTestContext.Repo, "main", context.Server.Endpoint, context.CacheDir);

        var requests = context.Server.Requests;
        Assert.All(requests.Where(r => r.Path.Contains("/resolve/", StringComparison.Ordinal)), r => Assert.Equal("Bearer hf_secret", r.Authorization));
        // Redirected to another origin (the CDN), the token stays behind.
        Assert.Null(Assert.Single(requests, r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal)).Authorization);
    }

    [Fact]
    public async Task HF_TOKEN_is_the_token_when_none_is_given()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        using var downloader = new HubDownloader(new HubDownloaderOptions
        {
            Environment = new HubEnvironment(name => name == "HF_TOKEN" ? "hf_from_env" : null),
        });

        await downloader.DownloadAsync(HubTestContext.Repo, "main", context.Server.Endpoint, context.CacheDir);

        Assert.Equal("Bearer hf_from_env", context.Server.Requests[0].Authorization);
    }

    [Fact]
    public async Task A_legacy_id_follows_the_hubs_redirect_and_is_cached_under_its_own_name()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        context.Server.Intercept = request =>
        {
            if (!request.Path.StartsWith("/tiny-albert/", StringComparison.Ordinal))
            {
                return null;
            }

            var redirect = Reply.Plain(307);
            redirect.Headers["Location"] = "/albert" + request.Path; // Relative, as the hub sends for renamed repos.
            return redirect;
        };

        var snapshot = await context.DownloadAsync(repo: "tiny-albert");

        Assert.Equal(Path.Combine(context.CacheDir, "models--tiny-albert", "snapshots", context.Server.Commit), snapshot.Directory);
        Assert.Equal(context.Weights, File.ReadAllBytes(snapshot.GetPath("model.safetensors")));
    }

    [Fact]
    public async Task Progress_reports_bytes_up_to_the_file_size()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        var reports = new ConcurrentQueue<DownloadProgress>();

        await context.DownloadAsync(progress: new SyncProgress<DownloadProgress>(reports.Enqueue));

        var weights = reports.Where(p => p.File == "model.safetensors").ToList();
        Assert.Equal(DownloadStage.Resolving, weights[0].Stage);
        Assert.Contains(weights, p => p.Stage == DownloadStage.Downloading);
        Assert.All(weights.Where(p => p.Stage == DownloadStage.Downloading), p => Assert.Equal(context.Weights.Length, p.TotalBytes));
        Assert.Equal(new DownloadProgress("model.safetensors", DownloadStage.Completed, context.Weights.Length, context.Weights.Length), weights[^1]);
    }
}
