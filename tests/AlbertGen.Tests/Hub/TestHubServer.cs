using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace AlbertGen.Tests.Hub;

/// <summary>One request the test server received.</summary>
internal sealed record ServedRequest(int Number, string Method, string Path, string? Range, string? Authorization)
{
    /// <summary>The first byte a <c>Range: bytes=N-</c> header asks for, or <see langword="null"/>.</summary>
    public long? RangeStart =>
        Range is { } r && r.StartsWith("bytes=", StringComparison.Ordinal) && r.EndsWith('-')
            ? long.Parse(r[6..^1], CultureInfo.InvariantCulture)
            : null;

    public bool IsFor(string method, string fileSuffix) => Method == method && Path.EndsWith(fileSuffix, StringComparison.Ordinal);
}

/// <summary>A response the test server sends; <see cref="DropAfter"/> cuts the body short and closes the connection.</summary>
internal sealed record Reply(int Status, Dictionary<string, string> Headers, byte[] Body)
{
    public int? DropAfter { get; init; }

    public static Reply Plain(int status, string text = "") =>
        new(status, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = "text/plain" }, Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// A small HTTP/1.1 server on 127.0.0.1 (ephemeral port) serving a folder in the hub's URL layout:
/// <c>/{repo}/resolve/{main|commit}/{file}</c> maps to <c>{root}/{repo}/{file}</c>. With hub headers it answers like
/// huggingface.co (X-Repo-Commit, git-sha1 ETag for small files, and for .safetensors a 302 to <c>/cdn/…</c> carrying
/// X-Linked-Etag = sha256 and X-Linked-Size); without, like a plain static server. One connection per request,
/// handled in turn; it stops by itself after <see cref="MaxRequests"/> requests or <see cref="Lifetime"/>.
/// </summary>
internal sealed class TestHubServer : IAsyncDisposable
{
    public const int MaxRequests = 200;
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly string root;
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new(Lifetime);
    private readonly ConcurrentQueue<ServedRequest> requests = new();
    private readonly Task loop;
    private int disposed;

    public TestHubServer(string root, bool hubHeaders)
    {
        this.root = root;
        HubHeaders = hubHeaders;
        listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        loop = Task.Run(RunAsync);
    }

    public string Endpoint { get; }

    public bool HubHeaders { get; set; }

    /// <summary>
    /// Where LFS files are redirected: the same server under another host name, so that (as with the hub's CDN)
    /// the redirect leaves the endpoint's origin.
    /// </summary>
    public string CdnOrigin => Endpoint.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);

    public string Commit { get; set; } = "0123456789abcdef0123456789abcdef01234567";

    /// <summary>Whether Range requests get 206; when false the whole file is sent with 200, as some servers do.</summary>
    public bool SupportsRange { get; set; } = true;

    /// <summary>Answers a request instead of the default when it returns non-null; <see cref="DefaultReply"/> is there to modify.</summary>
    public Func<ServedRequest, Reply?>? Intercept { get; set; }

    public IReadOnlyList<ServedRequest> Requests => [.. requests];

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        await stop.CancelAsync();
        listener.Stop();
        await loop;
        stop.Dispose();
    }

    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>What the server answers when nothing is intercepted.</summary>
    public Reply DefaultReply(ServedRequest request)
    {
        string path = request.Path;
        if (path.StartsWith("/cdn/", StringComparison.Ordinal))
        {
            string cdnFile = Path.Combine(root, Uri.UnescapeDataString(path["/cdn/".Length..]));
            return File.Exists(cdnFile) ? Content(File.ReadAllBytes(cdnFile), request, ("ETag", "\"cdn-etag\"")) : Reply.Plain(404);
        }

        int resolve = path.IndexOf("/resolve/", StringComparison.Ordinal);
        if (resolve < 0)
        {
            return Reply.Plain(404);
        }

        string repo = path[1..resolve];
        string rest = path[(resolve + "/resolve/".Length)..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string revision = Uri.UnescapeDataString(rest[..slash]);
        string file = string.Join('/', rest[(slash + 1)..].Split('/').Select(Uri.UnescapeDataString));
        if (!Directory.Exists(Path.Combine(root, repo)))
        {
            return HubError(404, "RepoNotFound");
        }

        if (revision != "main" && revision != Commit)
        {
            return HubError(404, "RevisionNotFound");
        }

        string local = Path.Combine(root, repo, file);
        if (!File.Exists(local))
        {
            return HubError(404, "EntryNotFound");
        }

        byte[] bytes = File.ReadAllBytes(local);
        if (!HubHeaders)
        {
            return Content(bytes, request);
        }

        if (file.EndsWith(".safetensors", StringComparison.Ordinal))
        {
            var redirect = Reply.Plain(302);
            redirect.Headers["Location"] = $"{CdnOrigin}/cdn/{repo}/{Uri.EscapeDataString(file)}";
            redirect.Headers["X-Repo-Commit"] = Commit;
            redirect.Headers["X-Linked-Etag"] = $"\"{Sha256Hex(bytes)}\"";
            redirect.Headers["X-Linked-Size"] = bytes.Length.ToString(CultureInfo.InvariantCulture);
            return redirect;
        }

        return Content(bytes, request, ("X-Repo-Commit", Commit), ("ETag", $"\"{GitBlobSha1(bytes)}\""));
    }

    /// <summary>A 200 (or 206/416 for a Range request) with the bytes.</summary>
    public Reply Content(byte[] bytes, ServedRequest request, params (string Name, string Value)[] headers)
    {
        var reply = new Reply(200, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = "application/octet-stream" }, bytes);
        foreach (var (name, value) in headers)
        {
            reply.Headers[name] = value;
        }

        if (SupportsRange && request.RangeStart is long start)
        {
            if (start >= bytes.Length)
            {
                reply.Headers["Content-Range"] = $"bytes */{bytes.Length}";
                return reply with { Status = 416, Body = [] };
            }

            reply.Headers["Content-Range"] = $"bytes {start}-{bytes.Length - 1}/{bytes.Length}";
            return reply with { Status = 206, Body = bytes[(int)start..] };
        }

        return reply;
    }

    private Reply HubError(int status, string code)
    {
        var reply = Reply.Plain(status, code);
        if (HubHeaders)
        {
            reply.Headers["X-Error-Code"] = code;
        }

        return reply;
    }

    private static string GitBlobSha1(byte[] bytes) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));

    private async Task RunAsync()
    {
        try
        {
            for (int number = 1; number <= MaxRequests; number++)
            {
                using var client = await listener.AcceptTcpClientAsync(stop.Token);
                await HandleAsync(client, number);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopped: disposed, or its lifetime ran out.
        }
        finally
        {
            listener.Stop();
        }
    }

    private async Task HandleAsync(TcpClient client, int number)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            var stream = client.GetStream();
            string? head = await ReadHeadAsync(stream, timeout.Token);
            if (head is null)
            {
                return;
            }

            string[] lines = head.Split("\r\n");
            string[] requestLine = lines[0].Split(' ');
            var headers = lines.Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal))
                .Select(l => (Name: l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), Value: l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))
                .ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase);
            var request = new ServedRequest(
                number, requestLine[0], requestLine[1], headers.GetValueOrDefault("Range"), headers.GetValueOrDefault("Authorization"));
            requests.Enqueue(request);
            var reply = Intercept?.Invoke(request) ?? DefaultReply(request);
            await WriteAsync(stream, request, reply, timeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // The client went away (cancelled or timed out): nothing to answer.
        }
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken token)
    {
        var buffer = new byte[16 * 1024];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(filled), token);
            if (read == 0)
            {
                return null;
            }

            filled += read;
            int end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return Encoding.ASCII.GetString(buffer, 0, end);
            }
        }

        return null;
    }

    private static async Task WriteAsync(NetworkStream stream, ServedRequest request, Reply reply, CancellationToken token)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {reply.Status} {ReasonPhrase(reply.Status)}\r\n");
        foreach (var (name, value) in reply.Headers)
        {
            text.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"Content-Length: {reply.Body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text.ToString()), token);
        if (request.Method != "HEAD")
        {
            int length = Math.Min(reply.DropAfter ?? int.MaxValue, reply.Body.Length);
            await stream.WriteAsync(reply.Body.AsMemory(0, length), token);
        }

        await stream.FlushAsync(token);
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
}
