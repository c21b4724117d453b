using System.Collections.Concurrent;
using System.Net;
using AlbertGen.Hub;

namespace AlbertGen.Tests.Hub;

/// <summary>Downloads that go wrong: what is retried or resumed, what fails, the message, and what is left behind.</summary>
public sealed class HubDownloaderFailureTests
{
    [Fact]
    public async Task A_missing_required_file_names_the_file_repo_and_revision()
    {
        await using var context = new HubTestContext();
        string served = context.WriteRepo();
        File.Delete(Path.Combine(served, "config.json"));

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.NotFound, error.Kind);
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains("config.json was not found in albert/tiny-albert at revision main", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(context.RepoFolder, "refs", "main")));
    }

    [Fact]
    public async Task A_repository_with_neither_tokenizer_file_is_refused_naming_both()
    {
        await using var context = new HubTestContext();
        string served = context.WriteRepo();
        File.Delete(Path.Combine(served, "spiece.model"));
        File.Delete(Path.Combine(served, "tokenizer.json"));

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.NotFound, error.Kind);
        Assert.Contains("has neither spiece.model nor tokenizer.json", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(context.RepoFolder, "refs", "main")));
    }

    [Fact]
    public async Task A_repository_with_only_the_fast_tokenizer_downloads_complete()
    {
        await using var context = new HubTestContext();
        string served = context.WriteRepo();
        File.Delete(Path.Combine(served, "spiece.model"));

        HubSnapshot snapshot = await context.DownloadAsync();

        Assert.Contains("tokenizer.json", snapshot.Files);
        Assert.DoesNotContain("spiece.model", snapshot.Files);
        Assert.Equal(snapshot.Directory, new HubCache(context.CacheDir).ResolveSnapshot(HubRepoId.Parse(HubTestContext.Repo)).Directory);
    }

    [Fact]
    public async Task Missing_weights_name_every_weights_file_looked_for()
    {
        await using var context = new HubTestContext();
        string served = context.WriteRepo();
        File.Delete(Path.Combine(served, "model.safetensors"));

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.NotFound, error.Kind);
        Assert.Contains("none of model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json, flax_model.msgpack", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_repository_is_reported_as_such()
    {
        await using var context = new HubTestContext();

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync(repo: "albert/no-such-model"));

        Assert.Equal(HubErrorKind.NotFound, error.Kind);
        Assert.Contains("Repository albert/no-such-model was not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_connection_is_resumed_with_a_range_request()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        int drops = 0;
        context.Server.Intercept = request => request.IsFor("GET", "model.safetensors") && Interlocked.Increment(ref drops) == 1
            ? context.Server.DefaultReply(request) with { DropAfter = 100_000 }
            : null;

        var snapshot = await context.DownloadAsync();

        Assert.Equal(context.Weights, File.ReadAllBytes(snapshot.GetPath("model.safetensors")));
        var gets = context.Server.Requests.Where(r => r.IsFor("GET", "model.safetensors")).ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].RangeStart);
        Assert.InRange(gets[1].RangeStart ?? 0, 1, 100_000);
    }

    [Fact]
    public async Task A_partial_file_left_by_a_cancelled_run_is_resumed_by_the_next()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        using var cancel = new CancellationTokenSource();
        var cancelOnBytes = new SyncProgress<DownloadProgress>(p =>
        {
            if (p is { File: "model.safetensors", Stage: DownloadStage.Downloading, BytesTransferred: > 0 })
            {
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => context.DownloadAsync(progress: cancelOnBytes, cancellationToken: cancel.Token));

        Assert.Contains(context.Blobs(), b => b.EndsWith(".incomplete", StringComparison.Ordinal));
        Assert.DoesNotContain(context.SnapshotEntries(), e => e.EndsWith("model.safetensors", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(context.RepoFolder, "refs", "main")));

        var snapshot = await context.DownloadAsync();

        Assert.Equal(context.Weights, File.ReadAllBytes(snapshot.GetPath("model.safetensors")));
        Assert.True(context.Server.Requests.Last(r => r.IsFor("GET", "model.safetensors")).RangeStart > 0);
        Assert.DoesNotContain(context.Blobs(), b => b.EndsWith(".incomplete", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_connection_that_keeps_dropping_fails_and_keeps_the_partial_file_for_later()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        context.Server.Intercept = request => request.IsFor("GET", "model.safetensors")
            ? context.Server.DefaultReply(request) with { DropAfter = 1000 }
            : null;

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.NetworkError, error.Kind);
        Assert.Contains("model.safetensors of albert/tiny-albert at revision main", error.Message, StringComparison.Ordinal);
        Assert.Contains("Run the download again to resume it.", error.Message, StringComparison.Ordinal);
        string partial = Path.Combine(context.RepoFolder, "blobs", TestHubServer.Sha256Hex(context.Weights) + ".incomplete");
        Assert.Equal(3000, new FileInfo(partial).Length); // Three attempts, each resuming where the last stopped.
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_corrupt_partial_file_is_discarded_when_the_checks_fail_after_resuming(bool fullLength)
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        string partial = Path.Combine(context.RepoFolder, "blobs", TestHubServer.Sha256Hex(context.Weights) + ".incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        File.WriteAllBytes(partial, new byte[fullLength ? context.Weights.Length : 5000]); // Plausible length, wrong bytes.

        var snapshot = await context.DownloadAsync();

        Assert.Equal(context.Weights, File.ReadAllBytes(snapshot.GetPath("model.safetensors")));
        var gets = context.Server.Requests.Where(r => r.IsFor("GET", "model.safetensors")).ToList();
        Assert.Equal(fullLength ? [null] : [5000L, null], gets.Select(r => r.RangeStart));
    }

    [Fact]
    public async Task A_server_that_does_not_answer_HEAD_is_read_from_its_GET_responses()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        context.Server.Intercept = request => request.Method == "HEAD" ? Reply.Plain(405) : null;

        var snapshot = await context.DownloadAsync();

        Assert.Equal(context.Server.Commit, snapshot.Commit);
        Assert.Equal(context.Weights, File.ReadAllBytes(snapshot.GetPath("model.safetensors")));
    }

    [Fact]
    public async Task A_server_that_ignores_range_requests_is_downloaded_from_the_start_again()
    {
        await using var context = new HubTestContext(hubHeaders: false);
        context.WriteRepo();
        context.Server.SupportsRange = false;
        int drops = 0;
        context.Server.Intercept = request => request.IsFor("GET", "model.safetensors") && Interlocked.Increment(ref drops) == 1
            ? context.Server.DefaultReply(request) with { DropAfter = 100_000 }
            : null;

        var snapshot = await context.DownloadAsync();

        Assert.Equal(context.Weights, File.ReadAllBytes(snapshot.GetPath("model.safetensors")));
        var gets = context.Server.Requests.Where(r => r.IsFor("GET", "model.safetensors")).ToList();
        Assert.Equal(2, gets.Count);
        Assert.True(gets[1].RangeStart > 0); // Asked to resume, got the whole file with 200, and took it whole.
    }

    [Fact]
    public async Task A_checksum_mismatch_fails_and_leaves_nothing_in_the_cache()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        string wrongSha = TestHubServer.Sha256Hex([1, 2, 3]);
        context.Server.Intercept = request =>
        {
            if (!request.Path.Contains("/resolve/", StringComparison.Ordinal) || !request.Path.EndsWith("model.safetensors", StringComparison.Ordinal))
            {
                return null;
            }

            var reply = context.Server.DefaultReply(request);
            reply.Headers["X-Linked-Etag"] = $"\"{wrongSha}\"";
            return reply;
        };

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.IntegrityError, error.Kind);
        Assert.Contains($"announced sha256 {wrongSha}", error.Message, StringComparison.Ordinal);
        Assert.Contains(TestHubServer.Sha256Hex(context.Weights), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(context.SnapshotEntries(), e => e.EndsWith("model.safetensors", StringComparison.Ordinal));
        Assert.DoesNotContain(context.Blobs(), b => b.StartsWith(wrongSha, StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(context.RepoFolder, "refs", "main")));
    }

    [Theory]
    [InlineData("model.safetensors", "safetensors")]
    [InlineData("config.json", "HTML")]
    public async Task An_html_page_served_instead_of_a_file_is_refused(string file, string expected)
    {
        await using var context = new HubTestContext(hubHeaders: false);
        string served = context.WriteRepo();
        File.WriteAllBytes(Path.Combine(served, file), HubFiles.Html);

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.InvalidContent, error.Kind);
        Assert.Contains($"is not a valid {file}: it is an HTML page", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(context.SnapshotEntries(), e => e.EndsWith(file, StringComparison.Ordinal));
        Assert.DoesNotContain(context.Blobs(), b => b.EndsWith(".incomplete", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("[1,2,3]", "instead of an object")]
    [InlineData("{\"vocab_size\": 3", "not valid JSON")]
    public async Task A_config_that_is_not_a_json_object_is_refused(string content, string expected)
    {
        await using var context = new HubTestContext(hubHeaders: false);
        string served = context.WriteRepo();
        File.WriteAllText(Path.Combine(served, "config.json"), content);

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.InvalidContent, error.Kind);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_safetensors_file_with_an_absurd_header_length_is_refused()
    {
        await using var context = new HubTestContext(hubHeaders: false);
        string served = context.WriteRepo();
        File.WriteAllBytes(Path.Combine(served, "model.safetensors"), [.. BitConverter.GetBytes(long.MaxValue), .. "{}"u8]);

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.InvalidContent, error.Kind);
        Assert.Contains("not a sane safetensors header", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_errors_are_retried_until_the_server_recovers()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        int failures = 0;
        context.Server.Intercept = request => request.IsFor("HEAD", "config.json") && Interlocked.Increment(ref failures) <= 2
            ? Reply.Plain(500)
            : null;
        var retries = new ConcurrentQueue<DownloadProgress>();

        var snapshot = await context.DownloadAsync(progress: new SyncProgress<DownloadProgress>(p =>
        {
            if (p.Stage == DownloadStage.Retrying)
            {
                retries.Enqueue(p);
            }
        }));

        Assert.Equal(HubFiles.Config, File.ReadAllBytes(snapshot.GetPath("config.json")));
        Assert.Equal(2, retries.Count);
        Assert.Contains("HTTP 500", retries.First().Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_keeps_failing_is_reported_with_its_status()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        context.Server.Intercept = request => request.IsFor("GET", "spiece.model") ? Reply.Plain(503) : null;

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.ServerError, error.Kind);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Contains("spiece.model of albert/tiny-albert", error.Message, StringComparison.Ordinal);
        Assert.Contains("after 3 attempts: the server answered HTTP 503", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, context.Server.Requests.Count(r => r.IsFor("GET", "spiece.model")));
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task Refused_access_mentions_HF_TOKEN(int status)
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        context.Server.Intercept = _ => Reply.Plain(status);

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.AccessDenied, error.Kind);
        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Contains("HF_TOKEN", error.Message, StringComparison.Ordinal);
        Assert.Contains("gated or private", error.Message, StringComparison.Ordinal);
        Assert.Single(context.Server.Requests); // Not retried.
    }

    [Fact]
    public async Task A_refused_token_is_called_out()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        context.Server.Intercept = _ => Reply.Plain(401);
        using var downloader = context.Downloader(token: "hf_expired");

        var error = await Assert.ThrowsAsync<HubException>(
            () => downloader.DownloadAsync(HubTestContext.Repo, "main", context.Server.Endpoint, context.CacheDir));

        Assert.Contains("token that was sent", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../../evil.safetensors")]
    [InlineData("shards/../../../evil.safetensors")]
    [InlineData("/etc/evil.safetensors")]
    [InlineData("shards\\evil.safetensors")]
    [InlineData("C:/evil.safetensors")]
    [InlineData("config.json")]
    public async Task Unsafe_shard_names_in_an_index_are_refused_before_any_request(string shard)
    {
        await using var context = new HubTestContext();
        string served = context.WriteRepo(sharded: true);
        HubTestContext.WriteIndex(served, ("a", "model-00001-of-00002.safetensors"), ("b", shard));

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.UnsafePath, error.Kind);
        Assert.Contains($"'{shard}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(context.Server.Requests, r => r.Path.Contains("0001-of", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(context.CacheDir, "evil.safetensors")));
        Assert.DoesNotContain(context.SnapshotEntries(), e => e.EndsWith("index.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_invalid_commit_header_is_not_used_as_a_folder_name()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        context.Server.Commit = "../../../escape";

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Equal(HubErrorKind.UnsafePath, error.Kind);
        Assert.Contains("X-Repo-Commit", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../albert")]
    [InlineData("albert/../../etc")]
    [InlineData("a/b/c")]
    [InlineData("/abs")]
    public async Task Invalid_repo_ids_are_refused_without_a_request(string repo)
    {
        await using var context = new HubTestContext();

        var error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync(repo: repo));

        Assert.Equal(HubErrorKind.InvalidRepoId, error.Kind);
        Assert.Empty(context.Server.Requests);
    }

    [Fact]
    public async Task Cancellation_stops_the_download()
    {
        await using var context = new HubTestContext();
        context.WriteRepo();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => context.DownloadAsync(cancellationToken: cancel.Token));

        Assert.False(Directory.Exists(Path.Combine(context.RepoFolder, "snapshots")));
    }
}
