using System.Net;
using System.Net.Http.Headers;

namespace AlbertGen.Hub;

/// <summary>What a server said about a file before its bytes: the hub's headers where present, plain HTTP otherwise.</summary>
/// <param name="Commit">The commit the revision resolved to (<c>X-Repo-Commit</c>), if sent.</param>
/// <param name="ETag">
/// <c>X-Linked-Etag</c> (the sha256 of an LFS file, sent on the redirect to the CDN), else the final response's
/// <c>ETag</c>; unquoted, without <c>W/</c>.
/// </param>
/// <param name="Size"><c>X-Linked-Size</c>, else the final response's content length, if known.</param>
/// <param name="DownloadUrl">Where to GET the bytes (the CDN location when the hub redirected there).</param>
internal sealed record RemoteFile(string? Commit, string? ETag, long? Size, Uri DownloadUrl);

/// <summary>
/// HTTP for the hub: sends the token only to the endpoint's own origin, follows redirects itself so the hub's
/// headers on a redirect are not lost, and never follows a HEAD to another host (CDN URLs are signed for GET).
/// </summary>
internal sealed class HubHttp(HttpClient client, Uri endpoint, string? token)
{
    private const int MaxRedirects = 10;

    public Uri Endpoint { get; } = endpoint;

    public bool SendsToken => token is not null;

    /// <summary>The hub's URL of a file: <c>{endpoint}/{repo}/resolve/{revision}/{file}</c>, each part escaped.</summary>
    public Uri ResolveUrl(HubRepoId repo, string revision, string file)
    {
        string escapedFile = string.Join('/', file.Split('/').Select(Uri.EscapeDataString));
        string basePath = Endpoint.AbsoluteUri.TrimEnd('/');
        string repoPath = repo.Organization is null
            ? Uri.EscapeDataString(repo.Name)
            : $"{Uri.EscapeDataString(repo.Organization)}/{Uri.EscapeDataString(repo.Name)}";
        return new Uri($"{basePath}/{repoPath}/resolve/{Uri.EscapeDataString(revision)}/{escapedFile}");
    }

    /// <summary>
    /// Sends a request, following redirects. A HEAD stops at a redirect to another origin and returns that redirect
    /// (its <c>Location</c> becomes the download URL). The caller owns the returned response.
    /// </summary>
    public async Task<(HttpResponseMessage Response, RemoteFile Remote)> SendAsync(
        HttpMethod method, Uri url, long rangeStart, CancellationToken cancellationToken)
    {
        string? commit = null, linkedETag = null;
        long? linkedSize = null;
        Uri current = url;
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, current);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
            if (token is not null && SameOrigin(current, Endpoint))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            if (rangeStart > 0)
            {
                request.Headers.Range = new RangeHeaderValue(rangeStart, null);
            }

            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
            commit ??= Header(response, "X-Repo-Commit");
            linkedETag ??= NormalizeETag(Header(response, "X-Linked-Etag"));
            linkedSize ??= long.TryParse(Header(response, "X-Linked-Size"), out long size) && size >= 0 ? size : null;

            Uri? location = IsRedirect(response.StatusCode) ? response.Headers.Location : null;
            if (location is not null)
            {
                location = location.IsAbsoluteUri ? location : new Uri(current, location);
                bool foreign = !SameOrigin(location, current);
                if (method == HttpMethod.Head && foreign)
                {
                    return (response, new RemoteFile(commit, linkedETag, linkedSize, location));
                }

                response.Dispose();
                if (hop == MaxRedirects)
                {
                    throw new HubException(HubErrorKind.HttpError, $"{url} redirected more than {MaxRedirects} times.");
                }

                current = location;
                continue;
            }

            long? length = response.StatusCode == HttpStatusCode.PartialContent
                ? response.Content.Headers.ContentRange?.Length
                : response.Content.Headers.ContentLength;
            string? etag = linkedETag ?? NormalizeETag(Header(response, "ETag"));
            return (response, new RemoteFile(commit, etag, linkedSize ?? length, current));
        }
    }

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    internal static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()?.Trim() is { Length: > 0 } value ? value : null
            : null;

    private static string? NormalizeETag(string? etag)
    {
        if (etag is null)
        {
            return null;
        }

        if (etag.StartsWith("W/", StringComparison.Ordinal))
        {
            etag = etag[2..];
        }

        etag = etag.Trim('"');
        return etag.Length > 0 ? etag : null;
    }
}
