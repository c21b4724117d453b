using System.Security.Cryptography;
using AlbertGen.Hub;

namespace AlbertGen.Tests.Hub;

/// <summary>Builds hub-cache layouts by hand, as huggingface_hub writes them: blobs named by sha256, relative symlinks.</summary>
internal sealed class CacheFolder : IDisposable
{
    public const string Commit = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private readonly TempDirectory _folder = new("cache");

    public string Root => _folder.Path;

    public static Dictionary<string, byte[]> CompleteFiles => new()
    {
        ["config.json"] = HubFiles.Config,
        ["spiece.model"] = HubFiles.SentencePiece,
        ["model.safetensors"] = HubFiles.Safetensors(4),
    };

    /// <summary>Writes a snapshot; returns its folder.</summary>
    public string WriteSnapshot(string repoFolder, string commit, IReadOnlyDictionary<string, byte[]> files, params string[] refs)
    {
        string repo = Path.Combine(Root, repoFolder);
        string snapshot = Path.Combine(repo, "snapshots", commit);
        Directory.CreateDirectory(Path.Combine(repo, "blobs"));
        foreach (var (name, bytes) in files)
        {
            string blob = Path.Combine(repo, "blobs", Convert.ToHexStringLower(SHA256.HashData(bytes)));
            File.WriteAllBytes(blob, bytes);
            string entry = Path.Combine(snapshot, name);
            Directory.CreateDirectory(Path.GetDirectoryName(entry)!);
            File.CreateSymbolicLink(entry, Path.GetRelativePath(Path.GetDirectoryName(entry)!, blob));
        }

        Directory.CreateDirectory(snapshot);
        foreach (string name in refs)
        {
            Directory.CreateDirectory(Path.Combine(repo, "refs"));
            File.WriteAllText(Path.Combine(repo, "refs", name), commit);
        }

        return snapshot;
    }

    public void Dispose() => _folder.Dispose();
}

public sealed class HubCacheTests : IDisposable
{
    private static readonly HubRepoId BaseV2 = HubRepoId.Parse("albert/albert-base-v2");
    private readonly CacheFolder cache = new();

    public void Dispose() => cache.Dispose();

    [Theory]
    [InlineData("/explicit", "/env-cache", "/explicit")]
    [InlineData(null, "/env-cache", "/env-cache")]
    public void The_explicit_folder_wins_over_HF_HUB_CACHE(string? cacheDir, string hubCache, string expected)
    {
        var environment = new HubEnvironment(name => name == "HF_HUB_CACHE" ? hubCache : "/unused");

        Assert.Equal(expected, environment.CacheRoot(cacheDir));
    }

    [Fact]
    public void The_cache_root_falls_back_like_huggingface_hub()
    {
        var variables = new Dictionary<string, string>
        {
            ["HUGGINGFACE_HUB_CACHE"] = "/legacy-cache",
            ["HF_HOME"] = "/hf-home",
            ["XDG_CACHE_HOME"] = "/xdg",
            ["HOME"] = "/home/someone",
        };
        var environment = new HubEnvironment(name => variables.GetValueOrDefault(name));

        Assert.Equal("/legacy-cache", environment.CacheRoot(null));
        variables.Remove("HUGGINGFACE_HUB_CACHE");
        Assert.Equal("/hf-home/hub", environment.CacheRoot(null));
        variables.Remove("HF_HOME");
        Assert.Equal("/xdg/huggingface/hub", environment.CacheRoot(null));
        variables.Remove("XDG_CACHE_HOME");
        Assert.Equal("/home/someone/.cache/huggingface/hub", environment.CacheRoot(null));
        variables["HF_HOME"] = "~/hf";
        Assert.Equal("/home/someone/hf/hub", environment.CacheRoot(null));
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("YES", true)]
    [InlineData("on", true)]
    [InlineData("0", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void HF_HUB_OFFLINE_is_read_as_huggingface_hub_reads_it(string? value, bool offline) =>
        Assert.Equal(offline, new HubEnvironment(name => name == "HF_HUB_OFFLINE" ? value : null).Offline);

    [Fact]
    public void The_token_comes_from_HF_TOKEN_else_the_saved_login()
    {
        File.WriteAllText(Path.Combine(cache.Root, "token"), "hf_saved\n");
        var variables = new Dictionary<string, string> { ["HF_TOKEN"] = "hf_env", ["HF_HOME"] = cache.Root };
        var environment = new HubEnvironment(name => variables.GetValueOrDefault(name));

        Assert.Equal("hf_env", environment.Token);
        variables.Remove("HF_TOKEN");
        Assert.Equal("hf_saved", environment.Token);
    }

    [Fact]
    public void A_branch_resolves_through_its_ref_to_the_commit_snapshot()
    {
        string folder = cache.WriteSnapshot("models--albert--albert-base-v2", CacheFolder.Commit, CacheFolder.CompleteFiles, "main");

        var snapshot = new HubCache(cache.Root).ResolveSnapshot(BaseV2);

        Assert.Equal(folder, snapshot.Directory);
        Assert.Equal(CacheFolder.Commit, snapshot.Commit);
        Assert.Equal(["config.json", "model.safetensors", "spiece.model"], snapshot.Files);
        Assert.Equal(HubFiles.Config, File.ReadAllBytes(snapshot.GetPath("config.json")));
    }

    [Fact]
    public void A_commit_id_resolves_to_its_snapshot_without_a_ref()
    {
        string folder = cache.WriteSnapshot("models--albert--albert-base-v2", CacheFolder.Commit, CacheFolder.CompleteFiles);

        Assert.Equal(folder, new HubCache(cache.Root).ResolveSnapshot(BaseV2, CacheFolder.Commit).Directory);
    }

    [Fact]
    public void A_missing_repository_names_the_cache_and_the_folder_looked_for()
    {
        var error = Assert.Throws<HubException>(() => new HubCache(cache.Root).ResolveSnapshot(BaseV2));

        Assert.Equal(HubErrorKind.NotInCache, error.Kind);
        Assert.Equal(
            $"albert/albert-base-v2 is not in the HuggingFace cache at {cache.Root} (no folder models--albert--albert-base-v2)", error.Message);
    }

    [Fact]
    public void A_missing_ref_lists_the_refs_there_are()
    {
        cache.WriteSnapshot("models--albert--albert-base-v2", CacheFolder.Commit, CacheFolder.CompleteFiles, "main");

        var error = Assert.Throws<HubException>(() => new HubCache(cache.Root).ResolveSnapshot(BaseV2, "v2.0"));

        Assert.Contains("has no refs/v2.0 and no snapshot named v2.0; it has refs main", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ref_to_a_missing_snapshot_is_reported()
    {
        cache.WriteSnapshot("models--albert--albert-base-v2", CacheFolder.Commit, CacheFolder.CompleteFiles);
        Directory.CreateDirectory(Path.Combine(cache.Root, "models--albert--albert-base-v2", "refs"));
        File.WriteAllText(Path.Combine(cache.Root, "models--albert--albert-base-v2", "refs", "main"), new string('b', 40));

        var error = Assert.Throws<HubException>(() => new HubCache(cache.Root).ResolveSnapshot(BaseV2));

        Assert.Contains($"refs/main points to commit {new string('b', 40)}, but there is no folder snapshots/{new string('b', 40)}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_incomplete_snapshot_names_each_missing_file()
    {
        // What transformers leaves after loading only a config: no tokenizer, no weights.
        cache.WriteSnapshot("models--albert--albert-base-v2", CacheFolder.Commit, new Dictionary<string, byte[]> { ["config.json"] = HubFiles.Config }, "main");

        var error = Assert.Throws<HubException>(() => new HubCache(cache.Root).ResolveSnapshot(BaseV2));

        Assert.Contains("lacks a tokenizer (spiece.model or tokenizer.json), weights (model.safetensors, model.safetensors.index.json, pytorch_model.bin, ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_snapshot_entry_whose_blob_is_gone_counts_as_missing()
    {
        string folder = cache.WriteSnapshot("models--albert--albert-base-v2", CacheFolder.Commit, CacheFolder.CompleteFiles, "main");
        File.Delete(new FileInfo(Path.Combine(folder, "spiece.model")).ResolveLinkTarget(returnFinalTarget: true)!.FullName);

        var error = Assert.Throws<HubException>(() => new HubCache(cache.Root).ResolveSnapshot(BaseV2));

        Assert.Contains("lacks a tokenizer (spiece.model or tokenizer.json)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sharded_snapshot_needs_every_shard_its_index_lists()
    {
        string served = Path.Combine(cache.Root, "index-source");
        Directory.CreateDirectory(served);
        HubTestContext.WriteIndex(served, ("a", "model-00001-of-00002.safetensors"), ("b", "model-00002-of-00002.safetensors"));
        var files = CacheFolder.CompleteFiles;
        files.Remove("model.safetensors");
        files["model.safetensors.index.json"] = File.ReadAllBytes(Path.Combine(served, "model.safetensors.index.json"));
        files["model-00001-of-00002.safetensors"] = HubFiles.Safetensors(2);
        cache.WriteSnapshot("models--albert--albert-base-v2", CacheFolder.Commit, files, "main");

        var error = Assert.Throws<HubException>(() => new HubCache(cache.Root).ResolveSnapshot(BaseV2));

        Assert.EndsWith("lacks model-00002-of-00002.safetensors", error.Message, StringComparison.Ordinal);
    }
}
