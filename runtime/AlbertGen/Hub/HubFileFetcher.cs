using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace AlbertGen.Hub;

/// <summary>A file now in <c>blobs/</c>: what the server said about it and the blob's name.</summary>
internal sealed record FetchedFile(RemoteFile Remote, string BlobName);

/// <summary>
/// Brings one file of a repository into <c>blobs/</c>: asks for its metadata, reuses a cached blob, else downloads
/// into <c>{blob}.incomplete</c> with retries that resume by HTTP Range, checks length, content and sha256, and
/// renames the result into place. Nothing reaches a final name unverified.
/// </summary>
internal sealed class HubFileFetcher(
    HubHttp http, HubCacheWriter cache, HubDownloaderOptions options, IProgress<DownloadProgress>? progress,
    HubRepoId repo, string revision)
{
    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Fetches a file; <see langword="null"/> when the repository has no such file (HTTP 404) and it is optional.</summary>
    public async Task<FetchedFile?> FetchAsync(string file, string urlRevision, bool optional, CancellationToken cancellationToken)
    {
        Uri url = http.ResolveUrl(repo, urlRevision, file);
        Report(file, DownloadStage.Resolving, 0, null);
        RemoteFile? remote = await RetryAsync(file, attempt => HeadAsync(file, url, attempt), cancellationToken).ConfigureAwait(false);
        if (remote is null)
        {
            if (optional)
            {
                Report(file, DownloadStage.NotPresent, 0, null);
                return null;
            }

            throw new HubException(
                HubErrorKind.NotFound, $"{file} was not found in {repo} at revision {revision} ({url} answered HTTP 404).", HttpStatusCode.NotFound);
        }

        string? blobName = remote.ETag is { } etag ? HubCacheWriter.BlobNameForETag(etag) : null;
        if (blobName is not null && new FileInfo(cache.BlobPath(blobName)) is { Exists: true } cached
            && (remote.Size is null || cached.Length == remote.Size))
        {
            Report(file, DownloadStage.AlreadyCached, cached.Length, cached.Length);
            return new FetchedFile(remote, blobName);
        }

        string incomplete = cache.IncompletePath(blobName ?? HubCacheWriter.IncompleteKeyForUrl(url));
        var state = new DownloadState(remote.Size);
        for (bool startedOver = false; ; startedOver = true)
        {
            try
            {
                await RetryAsync(file, attempt => DownloadAttemptAsync(file, remote.DownloadUrl, incomplete, state, attempt, cancellationToken), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (HubException notFound) when (optional && notFound.StatusCode == HttpStatusCode.NotFound)
            {
                // A server that does not answer HEAD says only now that the repository has no such file.
                Report(file, DownloadStage.NotPresent, 0, null);
                return null;
            }

            long length = new FileInfo(incomplete).Length;
            Report(file, DownloadStage.Verifying, length, state.Size);
            string? problem = ContentValidation.Check(file, incomplete);
            string sha256 = await Sha256Async(incomplete, cancellationToken).ConfigureAwait(false);
            string? expected = remote.ETag?.ToLowerInvariant() is { } e && HubRevision.IsSha256(e) ? e : null;
            bool checksumFails = expected is not null && expected != sha256;
            if (problem is not null || checksumFails)
            {
                File.Delete(incomplete);
                if (state.Resumed && !startedOver)
                {
                    // The part kept from an earlier attempt or run may be the culprit: one clean download decides.
                    state.Resumed = false;
                    Report(file, DownloadStage.Retrying, 0, state.Size, "the resumed file failed its checks; downloading again from the start");
                    continue;
                }
            }

            if (problem is not null)
            {
                throw new HubException(
                    HubErrorKind.InvalidContent,
                    $"{file} of {repo} at revision {revision}, as served by {remote.DownloadUrl}, is not a valid {file}: {problem}. " +
                    "The server, or a proxy in between, sent something else; nothing was saved.");
            }

            if (checksumFails)
            {
                throw new HubException(
                    HubErrorKind.IntegrityError,
                    $"{file} of {repo} at revision {revision} failed its checksum: the server announced sha256 {expected}, " +
                    $"but the {length} bytes received hash to {sha256}. Nothing was saved; try again.");
            }

            blobName ??= sha256; // No ETag: name the blob by its content.
            cache.CommitBlob(incomplete, blobName);
            return new FetchedFile(remote with { Commit = remote.Commit ?? state.Commit }, blobName);
        }
    }

    private async Task<RemoteFile?> HeadAsync(string file, Uri url, CancellationTokenSource attempt)
    {
        var (response, remote) = await SendAsync(HttpMethod.Head, url, 0, attempt.Token).ConfigureAwait(false);
        using (response)
        {
            int status = (int)response.StatusCode;
            if (status is >= 200 and < 400)
            {
                return remote;
            }

            if (status is 405 or 501)
            {
                return new RemoteFile(null, null, null, url); // No HEAD here: the GET will tell what there is to know.
            }

            if (status == 404 && HubHttp.Header(response, "X-Error-Code") is null or "EntryNotFound")
            {
                return null;
            }

            throw StatusFailure(file, url, response);
        }
    }

    private async Task<bool> DownloadAttemptAsync(
        string file, Uri url, string incomplete, DownloadState state, CancellationTokenSource attempt, CancellationToken cancellationToken)
    {
        long offset = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        if (state.Size is long size && offset >= size)
        {
            if (offset == size && size > 0)
            {
                state.Resumed = true; // An earlier attempt or run received every byte; only the checks remain.
                return true;
            }

            File.Delete(incomplete);
            offset = 0;
        }

        var (response, remote) = await SendAsync(HttpMethod.Get, url, offset, attempt.Token).ConfigureAwait(false);
        using (response)
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.PartialContent:
                    long from = response.Content.Headers.ContentRange?.From ?? 0;
                    if (from != offset)
                    {
                        File.Delete(incomplete);
                        throw new TransientFailure(HubErrorKind.HttpError, $"asked for bytes from {offset}, the server sent bytes from {from}; starting over", null);
                    }

                    break;
                case HttpStatusCode.OK:
                    if (offset > 0)
                    {
                        // The server ignores Range and sends the whole file: take it from the start.
                        Report(file, DownloadStage.Retrying, 0, state.Size, "the server does not resume downloads; starting over");
                        offset = 0;
                    }

                    break;
                case HttpStatusCode.RequestedRangeNotSatisfiable:
                    File.Delete(incomplete);
                    throw new TransientFailure(HubErrorKind.HttpError, $"the server could not resume at byte {offset} (HTTP 416); starting over", response.StatusCode);
                default:
                    throw StatusFailure(file, url, response);
            }

            state.Commit ??= remote.Commit; // Known here first when the server does not answer HEAD.
            if (state.Size is null)
            {
                state.Size = remote.Size;
            }
            else if (remote.Size is long sent && sent != state.Size)
            {
                throw new HubException(
                    HubErrorKind.IntegrityError,
                    $"{file} of {repo} at revision {revision}: the server announced {state.Size} bytes, but now sends a file of {sent} bytes.");
            }

            state.Resumed |= offset > 0;
            long written = await CopyBodyAsync(file, response, incomplete, offset, state, attempt, cancellationToken).ConfigureAwait(false);
            if (state.Size is long expected && written != expected)
            {
                if (written < expected)
                {
                    throw new TransientFailure(HubErrorKind.NetworkError, $"the body ended after {written} of {expected} bytes", null);
                }

                File.Delete(incomplete);
                throw new HubException(
                    HubErrorKind.IntegrityError,
                    $"{file} of {repo} at revision {revision}: received {written} bytes, more than the {expected} announced; nothing was saved.");
            }

            return true;
        }
    }

    private async Task<long> CopyBodyAsync(
        string file, HttpResponseMessage response, string incomplete, long offset, DownloadState state,
        CancellationTokenSource attempt, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(attempt.Token).ConfigureAwait(false);
        // FileShare.None also keeps a second process from writing the same partial file.
        await using var output = new FileStream(
            incomplete, offset == 0 ? FileMode.Create : FileMode.Open, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        output.SetLength(offset);
        output.Seek(offset, SeekOrigin.Begin);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long written = offset;
            var sinceReport = Stopwatch.StartNew();
            bool first = true;
            while (true)
            {
                attempt.CancelAfter(options.Timeout); // A stalled body counts as a dropped connection.
                int read;
                try
                {
                    read = await body.ReadAsync(buffer, attempt.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    throw new TransientFailure(
                        HubErrorKind.NetworkError, $"the connection dropped after {written} of {Describe(state.Size)} bytes ({e.Message})", null);
                }

                if (read == 0)
                {
                    break;
                }

                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                written += read;
                cancellationToken.ThrowIfCancellationRequested();
                if (first || sinceReport.Elapsed >= ReportInterval)
                {
                    Report(file, DownloadStage.Downloading, written, state.Size);
                    sinceReport.Restart();
                    first = false;
                }
            }

            Report(file, DownloadStage.Downloading, written, state.Size);
            return written;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Runs one request with its own timeout, retrying transient failures with doubling waits.</summary>
    private async Task<T> RetryAsync<T>(string file, Func<CancellationTokenSource, Task<T>> run, CancellationToken cancellationToken)
    {
        for (int attemptNumber = 1; ; attemptNumber++)
        {
            TransientFailure failure;
            using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attempt.CancelAfter(options.Timeout);
                try
                {
                    return await run(attempt).ConfigureAwait(false);
                }
                catch (TransientFailure e)
                {
                    failure = e;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = new TransientFailure(HubErrorKind.NetworkError, $"no answer within {options.Timeout.TotalSeconds:0.#} s", null);
                }
            }

            if (attemptNumber >= options.MaxAttempts)
            {
                string resume = failure.Kind == HubErrorKind.NetworkError ? " Run the download again to resume it." : "";
                throw new HubException(
                    failure.Kind,
                    $"Downloading {file} of {repo} at revision {revision} from {http.Endpoint.Authority} failed after " +
                    $"{attemptNumber} attempts: {failure.Message}.{resume}",
                    failure.Status,
                    failure);
            }

            Report(file, DownloadStage.Retrying, 0, null, $"{failure.Message}; attempt {attemptNumber + 1} of {options.MaxAttempts}");
            var delay = options.RetryDelay * Math.Pow(2, attemptNumber - 1);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(HttpResponseMessage Response, RemoteFile Remote)> SendAsync(
        HttpMethod method, Uri url, long rangeStart, CancellationToken token)
    {
        try
        {
            return await http.SendAsync(method, url, rangeStart, token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new TransientFailure(HubErrorKind.NetworkError, $"could not reach {url.Authority} ({e.Message})", null);
        }
    }

    /// <summary>The error for a status that is not a success: retryable for 5xx and 429, final otherwise.</summary>
    private Exception StatusFailure(string file, Uri url, HttpResponseMessage response)
    {
        int status = (int)response.StatusCode;
        string statusText = $"HTTP {status} {response.ReasonPhrase}".TrimEnd();
        string? code = HubHttp.Header(response, "X-Error-Code");
        string detail = HubHttp.Header(response, "X-Error-Message") is { } serverMessage ? $": {serverMessage}" : "";
        if (status is >= 500 or 429)
        {
            return new TransientFailure(HubErrorKind.ServerError, $"the server answered {statusText}{detail}", response.StatusCode);
        }

        if (status is 401 or 403)
        {
            string what = code == "RepoNotFound" ? $"Repository {repo} was not found, or it is private" : $"The server refused access to {file} of {repo}";
            string advice = http.SendsToken
                ? "The token that was sent (the Token option, HF_TOKEN, or the saved login) does not grant access: check it is " +
                  "valid and, for a gated model, that its terms were accepted with the same account."
                : "If the repository is gated or private, accept its terms on the hub, then set HF_TOKEN to an access token " +
                  "(or pass one as the Token option).";
            return new HubException(HubErrorKind.AccessDenied, $"{what} at revision {revision} ({statusText}{detail}). {advice}", response.StatusCode);
        }

        if (status == 404)
        {
            string message = code switch
            {
                "RepoNotFound" => $"Repository {repo} was not found at {http.Endpoint.Authority} ({statusText}{detail}).",
                "RevisionNotFound" => $"Revision {revision} was not found in {repo} ({statusText}{detail}).",
                _ => $"{file} was not found in {repo} at revision {revision} ({url} answered {statusText}{detail}).",
            };
            return new HubException(HubErrorKind.NotFound, message, response.StatusCode);
        }

        return new HubException(
            HubErrorKind.HttpError, $"{url} answered {statusText}{detail} for {file} of {repo} at revision {revision}.", response.StatusCode);
    }

    private void Report(string file, DownloadStage stage, long bytes, long? total, string? message = null) =>
        progress?.Report(new DownloadProgress(file, stage, bytes, total, message));

    private static string Describe(long? size) => size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";

    private static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>What the attempts on one file have learnt so far.</summary>
    private sealed class DownloadState(long? size)
    {
        public long? Size { get; set; } = size;

        public bool Resumed { get; set; }

        public string? Commit { get; set; }
    }

    /// <summary>A failure worth another attempt: a dropped connection, a timeout, a 5xx or 429.</summary>
    private sealed class TransientFailure(HubErrorKind kind, string message, HttpStatusCode? status) : Exception(message)
    {
        public HubErrorKind Kind { get; } = kind;

        public HttpStatusCode? Status { get; } = status;
    }
}
