using System.Net;
using System.Net.Http.Headers;
using static AlbertGen.Hub.AlbertRepoFiles;

namespace AlbertGen.Hub;

/// <summary>
/// Downloads an ALBERT checkpoint from the HuggingFace hub (or any server with its <c>/{repo}/resolve/{revision}/{file}</c>
/// URL layout, including a plain static file server) into the HuggingFace cache, where huggingface_hub,
/// transformers and <see cref="ModelLocator"/> find it, offline too.
/// </summary>
/// <remarks>
/// Files: <c>config.json</c> and <c>spiece.model</c> (required), <c>tokenizer.json</c> (if present), and the best
/// weights the repository has: the first present of <c>model.safetensors</c>, <c>model.safetensors.index.json</c>,
/// <c>pytorch_model.bin</c>, <c>pytorch_model.bin.index.json</c>, <c>flax_model.msgpack</c>(<c>.index.json</c>),
/// <c>tf_model.h5</c>(<c>.index.json</c>), an index with every shard it lists. Partial files are
/// resumed, 5xx answers and dropped connections retried, sha256 ETags verified, and every file checked to be what
/// its name says before it enters the cache. One instance can serve many downloads; dispose it when done.
/// </remarks>
public sealed class HubDownloader : IDisposable
{
    private readonly HttpClient client;
    private readonly HubDownloaderOptions options;

    /// <summary>Creates a downloader.</summary>
    /// <param name="options">Token, offline mode, retries and timeouts; defaults when <see langword="null"/>.</param>
    /// <param name="handler">
    /// The HTTP handler to send requests with (not disposed by the downloader), or <see langword="null"/> for
    /// <see cref="CreateDefaultHandler"/>. A handler that follows redirects itself works, but hides the hub's
    /// checksum header on LFS redirects.
    /// </param>
    public HubDownloader(HubDownloaderOptions? options = null, HttpMessageHandler? handler = null)
    {
        this.options = options ?? new HubDownloaderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(this.options.MaxAttempts, 1, nameof(options));
        client = new HttpClient(handler ?? CreateDefaultHandler(), disposeHandler: handler is null)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan, // Per-request and per-read timeouts are the downloader's.
        };
        string version = typeof(HubDownloader).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("AlbertGen", version));
    }

    /// <summary>
    /// The handler used when none is given: redirects are followed by the downloader (to read the hub's headers on
    /// them and keep the token from other hosts), no automatic decompression (byte offsets must be the file's).
    /// </summary>
    /// <returns>A new handler.</returns>
    public static SocketsHttpHandler CreateDefaultHandler() => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    /// <summary>
    /// Downloads a model's files into the HuggingFace cache (or, in offline mode, finds them there) and returns the
    /// snapshot. Files already in the cache are not downloaded again.
    /// </summary>
    /// <param name="repoId">The repository: <c>org/name</c> or a legacy <c>name</c>.</param>
    /// <param name="revision">A branch, tag or commit id.</param>
    /// <param name="endpoint">The hub's base URL; <see langword="null"/> means <c>$HF_ENDPOINT</c>, else https://huggingface.co.</param>
    /// <param name="cacheDir">The cache folder; <see langword="null"/> means <c>$HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>.</param>
    /// <param name="progress">Receives a report per file and stage, and throttled byte counts while downloading.</param>
    /// <param name="cancellationToken">Stops the download; a partial file is kept and resumed next time.</param>
    /// <returns>The snapshot: its folder, the commit, and the files it holds.</returns>
    /// <exception cref="HubException">Any failure, with a message naming the repository, revision and file.</exception>
    public async Task<HubSnapshot> DownloadAsync(
        string repoId,
        string revision = HubRevision.Main,
        string? endpoint = null,
        string? cacheDir = null,
        IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var repo = HubRepoId.Parse(repoId);
        HubRevision.Validate(revision);
        var environment = options.Environment;
        var cache = HubCache.Open(cacheDir, environment);
        if (options.Offline ?? environment.Offline)
        {
            return cache.TryResolveSnapshot(repo, revision, out var cached, out string? problem)
                ? cached
                : throw new HubException(
                    HubErrorKind.NotInCache,
                    $"{problem}. Offline mode is on ({(options.Offline is true ? "the Offline option" : "HF_HUB_OFFLINE")}), " +
                    "so it cannot be downloaded; download it while online first.");
        }

        var http = new HubHttp(client, ParseEndpoint(endpoint ?? environment.Endpoint), options.Token ?? environment.Token);
        var writer = new HubCacheWriter(cache.GetRepoFolder(repo), options.UseSymlinks);
        var fetcher = new HubFileFetcher(http, writer, options, progress, repo, revision);

        var config = (await fetcher.FetchAsync(Config, revision, optional: false, cancellationToken).ConfigureAwait(false))!;
        // The commit the hub resolved the revision to pins every later file, so a push mid-download cannot mix
        // revisions. A plain server sends none: the revision name then names the snapshot.
        string snapshot = CommitOf(config.Remote, repo) ?? revision;
        var files = new List<string>();

        void Link(string file, FetchedFile fetched)
        {
            writer.LinkSnapshotFile(snapshot, file, fetched.BlobName);
            files.Add(file);
            long size = new FileInfo(writer.BlobPath(fetched.BlobName)).Length;
            progress?.Report(new DownloadProgress(file, DownloadStage.Completed, size, size));
        }

        async Task<FetchedFile?> Fetch(string file, bool optional) =>
            await fetcher.FetchAsync(file, snapshot, optional, cancellationToken).ConfigureAwait(false);

        Link(Config, config);

        // A repository may have the slow tokenizer (spiece.model), the fast one (tokenizer.json) or both; it needs one.
        bool hasTokenizer = false;
        foreach (string file in TokenizerFiles)
        {
            if (await Fetch(file, optional: true) is { } fetched)
            {
                Link(file, fetched);
                hasTokenizer |= file is SentencePiece or TokenizerJson;
            }
            else
            {
                writer.MarkMissing(snapshot, file);
            }
        }

        if (!hasTokenizer)
        {
            throw new HubException(
                HubErrorKind.NotFound, $"{repo} at {revision} has neither {SentencePiece} nor {TokenizerJson}: there is no tokenizer to download.");
        }

        await FetchWeightsAsync(Fetch, Link, writer, snapshot, repo, revision, http.Endpoint.Authority).ConfigureAwait(false);

        // The ref last: until every file is in, an earlier complete snapshot stays what the revision means. A
        // commit id needs no ref; a plain server's revision name refers to itself.
        if (!(revision == snapshot && HubRevision.IsCommitHash(revision)))
        {
            writer.WriteRef(revision, snapshot);
        }

        return new HubSnapshot(repo, revision, snapshot, writer.SnapshotFolder(snapshot), files);
    }

    /// <summary>
    /// Fetches the best weights the repository has and no more: the first of <see cref="AlbertRepoFiles.WeightFiles"/>
    /// present (an index with every shard it lists); each absent one before it is recorded as missing in the cache.
    /// </summary>
    private static async Task FetchWeightsAsync(
        Func<string, bool, Task<FetchedFile?>> fetch, Action<string, FetchedFile> link, HubCacheWriter writer, string snapshot,
        HubRepoId repo, string revision, string server)
    {
        foreach (string file in WeightFiles)
        {
            if (await fetch(file, true).ConfigureAwait(false) is not { } fetched)
            {
                writer.MarkMissing(snapshot, file);
                continue;
            }

            if (!IsIndex(file))
            {
                link(file, fetched);
                return;
            }

            var shards = ReadShardNames(
                writer.BlobPath(fetched.BlobName), writer.SnapshotFolder(snapshot), $"{file} of {repo} at revision {revision}", file);
            link(file, fetched);
            foreach (string shard in shards)
            {
                link(shard, (await fetch(shard, false).ConfigureAwait(false))!);
            }

            return;
        }

        throw new HubException(
            HubErrorKind.NotFound,
            $"{repo} at revision {revision} has no weights at {server}: none of {string.Join(", ", WeightFiles)}.",
            HttpStatusCode.NotFound);
    }

    /// <summary>Releases the HTTP client (and the default handler).</summary>
    public void Dispose() => client.Dispose();

    private static string? CommitOf(RemoteFile remote, HubRepoId repo)
    {
        if (remote.Commit is null)
        {
            return null;
        }

        string commit = remote.Commit.ToLowerInvariant();
        return HubRevision.IsCommitHash(commit)
            ? commit
            : throw new HubException(
                HubErrorKind.UnsafePath,
                $"The server sent X-Repo-Commit '{remote.Commit}' for {repo}, which is not a 40-hex commit id; refusing to use it as a folder name.");
    }

    private static Uri ParseEndpoint(string endpoint) =>
        Uri.TryCreate(endpoint.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new ArgumentException($"The hub endpoint '{endpoint}' is not an http(s) URL.", nameof(endpoint));
}
