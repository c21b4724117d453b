using AlbertGen.Hub;

namespace AlbertGen.Tests.Hub;

public sealed class ModelLocatorTests : IDisposable
{
    private readonly CacheFolder cache = new();

    public void Dispose() => cache.Dispose();

    private ModelLocation Locate(string model, string revision = "main") =>
        ModelLocator.Locate(model, revision, cache.Root, HubTestContext.NoEnvironment);

    [Fact]
    public void An_existing_directory_is_used_as_it_is()
    {
        string folder = Path.Combine(cache.Root, "my-model");
        Directory.CreateDirectory(folder);

        var location = Locate(folder);

        Assert.Equal(folder, location.Directory);
        Assert.False(location.IsFromHubCache);
    }

    [Fact]
    public void A_hub_id_is_found_in_the_cache()
    {
        string folder = cache.WriteSnapshot("models--albert--albert-base-v2", CacheFolder.Commit, CacheFolder.CompleteFiles, "main");

        var location = Locate("albert/albert-base-v2");

        Assert.Equal(folder, location.Directory);
        Assert.Equal(CacheFolder.Commit, location.Snapshot!.Commit);
    }

    [Fact]
    public void A_legacy_id_is_found_under_its_own_folder()
    {
        string folder = cache.WriteSnapshot("models--albert-base-v2", CacheFolder.Commit, CacheFolder.CompleteFiles, "main");

        Assert.Equal(folder, Locate("albert-base-v2").Directory);
    }

    [Fact]
    public void A_hub_id_not_in_the_cache_says_where_it_looked_and_how_to_download()
    {
        var error = Assert.Throws<HubException>(() => Locate("albert/albert-base-v2"));

        Assert.Equal(HubErrorKind.NotInCache, error.Kind);
        Assert.Equal(
            $"albert/albert-base-v2 is not in the HuggingFace cache at {cache.Root} (no folder models--albert--albert-base-v2); " +
            "run `albertgen download albert/albert-base-v2`.",
            error.Message);
    }

    [Fact]
    public void The_download_advice_carries_a_non_default_revision()
    {
        cache.WriteSnapshot("models--albert--albert-base-v2", CacheFolder.Commit, CacheFolder.CompleteFiles, "main");

        var error = Assert.Throws<HubException>(() => Locate("albert/albert-base-v2", "v1"));

        Assert.EndsWith("run `albertgen download albert/albert-base-v2 --revision v1`.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_that_is_neither_a_directory_nor_an_id_is_refused()
    {
        var error = Assert.Throws<HubException>(() => Locate("./no/such/folder"));

        Assert.Equal(HubErrorKind.InvalidRepoId, error.Kind);
        Assert.StartsWith("'./no/such/folder' is not an existing directory, nor a HuggingFace repo id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_is_refused_with_a_hint_to_pass_its_folder()
    {
        string config = Path.Combine(cache.Root, "config.json");
        File.WriteAllBytes(config, HubFiles.Config);

        var error = Assert.Throws<HubException>(() => Locate(config));

        Assert.Contains("is a file; pass the directory that holds config.json", error.Message, StringComparison.Ordinal);
    }
}
