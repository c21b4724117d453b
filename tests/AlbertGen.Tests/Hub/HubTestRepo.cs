using System.Buffers.Binary;
using System.Text;
using AlbertGen.Hub;

namespace AlbertGen.Tests.Hub;

/// <summary>Small synthetic checkpoint files, made here byte by byte.</summary>
internal static class HubFiles
{
    public static byte[] Config { get; } = Encoding.UTF8.GetBytes(
        """{"architectures":["AlbertForMaskedLM"],"model_type":"albert","vocab_size":32,"embedding_size":8,"hidden_size":16,"num_hidden_layers":2,"num_attention_heads":2,"intermediate_size":32}""");

    /// <summary>Stand-in for a SentencePiece model: starts like the protobuf one does (field 1, length-delimited).</summary>
    public static byte[] SentencePiece { get; } = [0x0A, .. Enumerable.Range(0, 999).Select(i => (byte)(i * 7 % 251))];

    public static byte[] TokenizerJson { get; } = Encoding.UTF8.GetBytes("""{"version":"1.0","model":{"type":"Unigram"}}""");

    /// <summary>A valid safetensors file: 8-byte little-endian header length, JSON header padded to 8, then <paramref name="floats"/> F32 values.</summary>
    public static byte[] Safetensors(int floats, string tensor = "weight", int seed = 1)
    {
        string json = $$$"""{"{{{tensor}}}":{"dtype":"F32","shape":[{{{floats}}}],"data_offsets":[0,{{{floats * 4}}}]}}""";
        byte[] header = Encoding.UTF8.GetBytes(json.PadRight((json.Length + 7) / 8 * 8));
        var file = new byte[8 + header.Length + (floats * 4)];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        for (int i = 0; i < floats; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(8 + header.Length + (i * 4)), (i * seed % 1000) / 1000f);
        }

        return file;
    }

    public static byte[] Html { get; } = Encoding.UTF8.GetBytes("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please log in.</body></html>");
}

/// <summary>
/// One test's world: a temp folder with the served repositories and a cache folder, a <see cref="TestHubServer"/>,
/// and downloaders with short retry delays that read no real environment variable.
/// </summary>
internal sealed class HubTestContext : IAsyncDisposable
{
    public const string Repo = "albert/tiny-albert";

    private readonly TempDirectory temp = new("hub");

    public HubTestContext(bool hubHeaders = true)
    {
        Directory.CreateDirectory(ServedRoot);
        Server = new TestHubServer(ServedRoot, hubHeaders);
    }

    public string ServedRoot => temp.File("served");

    public string CacheDir => temp.File("cache");

    public TestHubServer Server { get; }

    public byte[] Weights { get; } = HubFiles.Safetensors(80_000); // ~320 KB: several reads, a resumable middle.

    public static HubEnvironment NoEnvironment { get; } = new(_ => null);

    public string RepoFolder => Path.Combine(CacheDir, "models--albert--tiny-albert");

    /// <summary>Writes the served files of a repository; returns its folder.</summary>
    public string WriteRepo(string repo = Repo, bool tokenizerJson = true, bool sharded = false)
    {
        string folder = Path.Combine(ServedRoot, repo);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "config.json"), HubFiles.Config);
        File.WriteAllBytes(Path.Combine(folder, "spiece.model"), HubFiles.SentencePiece);
        if (tokenizerJson)
        {
            File.WriteAllBytes(Path.Combine(folder, "tokenizer.json"), HubFiles.TokenizerJson);
        }

        if (sharded)
        {
            File.WriteAllBytes(Path.Combine(folder, "model-00001-of-00002.safetensors"), HubFiles.Safetensors(1000, "a", 3));
            File.WriteAllBytes(Path.Combine(folder, "model-00002-of-00002.safetensors"), HubFiles.Safetensors(2000, "b", 5));
            WriteIndex(folder, ("a", "model-00001-of-00002.safetensors"), ("b", "model-00002-of-00002.safetensors"));
        }
        else
        {
            File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), Weights);
        }

        return folder;
    }

    public static void WriteIndex(string folder, params (string Tensor, string File)[] map)
    {
        string entries = string.Join(",", map.Select(m => $"\"{m.Tensor}\":\"{m.File.Replace("\\", "\\\\", StringComparison.Ordinal)}\""));
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), $$$"""{"metadata":{"total_size":12000},"weight_map":{{{{entries}}}}}""");
    }

    public HubDownloader Downloader(string? token = null, bool? offline = null, int maxAttempts = 3) => new(new HubDownloaderOptions
    {
        Token = token,
        Offline = offline,
        MaxAttempts = maxAttempts,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        Timeout = TimeSpan.FromSeconds(5),
        Environment = NoEnvironment,
    });

    public async Task<HubSnapshot> DownloadAsync(
        string repo = Repo, string revision = "main", IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var downloader = Downloader();
        return await downloader.DownloadAsync(repo, revision, Server.Endpoint, CacheDir, progress, cancellationToken);
    }

    /// <summary>Every file under the cache's snapshots folders, relative to the repo folder.</summary>
    public IReadOnlyList<string> SnapshotEntries() =>
        Directory.Exists(Path.Combine(RepoFolder, "snapshots"))
            ? Directory.EnumerateFileSystemEntries(Path.Combine(RepoFolder, "snapshots"), "*", SearchOption.AllDirectories)
                .Where(p => !Directory.Exists(p) || new FileInfo(p).LinkTarget is not null)
                .Select(p => Path.GetRelativePath(RepoFolder, p))
                .ToList()
            : [];

    public IReadOnlyList<string> Blobs() =>
        Directory.Exists(Path.Combine(RepoFolder, "blobs")) ? Directory.GetFiles(Path.Combine(RepoFolder, "blobs")).Select(f => Path.GetFileName(f)).ToList() : [];

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        temp.Dispose();
    }
}

/// <summary>An <see cref="IProgress{T}"/> that runs its callback at once, on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
internal sealed class SyncProgress<T>(Action<T> onReport) : IProgress<T>
{
    public void Report(T value) => onReport(value);
}
