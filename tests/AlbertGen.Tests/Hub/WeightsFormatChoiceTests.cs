using AlbertGen.Hub;
using AlbertGen.Tests.Checkpoints;

namespace AlbertGen.Tests.Hub;

/// <summary>A download fetches the best weights a repository has, as HuggingFace would load them, and no others.</summary>
public sealed class WeightsFormatChoiceTests
{
    private static byte[] Fixture(string format, string file) =>
        File.ReadAllBytes(Path.Combine(CheckpointFormatFixtures.Folder("tiny", "seqcls-single3", format), file));

    private static string ServedWithoutSafetensors(HubTestContext context)
    {
        string served = context.WriteRepo();
        File.Delete(Path.Combine(served, "model.safetensors"));
        return served;
    }

    private static void AssertNotRequested(HubTestContext context, params string[] files) =>
        Assert.DoesNotContain(context.Server.Requests, r => files.Any(f => r.IsFor("GET", "/" + f)));

    [Fact]
    public async Task Safetensors_win_over_pytorch_flax_and_tf_files_which_are_not_fetched()
    {
        await using var context = new HubTestContext();
        string served = context.WriteRepo();
        File.WriteAllBytes(Path.Combine(served, "pytorch_model.bin"), Fixture("zip", "pytorch_model.bin"));
        File.WriteAllBytes(Path.Combine(served, "tf_model.h5"), Fixture("tf", "tf_model.h5"));

        HubSnapshot snapshot = await context.DownloadAsync();

        Assert.Contains("model.safetensors", snapshot.Files);
        Assert.DoesNotContain("pytorch_model.bin", snapshot.Files);
        AssertNotRequested(context, "pytorch_model.bin", "tf_model.h5");
    }

    [Fact]
    public async Task Without_safetensors_the_pytorch_file_is_fetched_and_flax_and_tf_are_not()
    {
        await using var context = new HubTestContext();
        string served = ServedWithoutSafetensors(context);
        File.WriteAllBytes(Path.Combine(served, "pytorch_model.bin"), Fixture("zip", "pytorch_model.bin"));
        File.WriteAllBytes(Path.Combine(served, "flax_model.msgpack"), Fixture("flax", "flax_model.msgpack"));
        File.WriteAllBytes(Path.Combine(served, "tf_model.h5"), Fixture("tf", "tf_model.h5"));

        HubSnapshot snapshot = await context.DownloadAsync();

        Assert.Contains("pytorch_model.bin", snapshot.Files);
        Assert.DoesNotContain("flax_model.msgpack", snapshot.Files);
        AssertNotRequested(context, "flax_model.msgpack", "tf_model.h5");
        Assert.Equal(snapshot.Directory, new HubCache(context.CacheDir).ResolveSnapshot(HubRepoId.Parse(HubTestContext.Repo)).Directory);
    }

    [Fact]
    public async Task A_sharded_pytorch_checkpoint_brings_its_index_and_every_bin_shard()
    {
        await using var context = new HubTestContext();
        string served = ServedWithoutSafetensors(context);
        foreach (string file in Directory.GetFiles(CheckpointFormatFixtures.Folder("tiny", "seqcls-single3", "sharded")))
        {
            File.Copy(file, Path.Combine(served, Path.GetFileName(file)));
        }

        HubSnapshot snapshot = await context.DownloadAsync();

        Assert.Contains("pytorch_model.bin.index.json", snapshot.Files);
        Assert.Contains("pytorch_model-00001-of-00002.bin", snapshot.Files);
        Assert.Contains("pytorch_model-00002-of-00002.bin", snapshot.Files);
        Assert.Equal(snapshot.Directory, new HubCache(context.CacheDir).ResolveSnapshot(HubRepoId.Parse(HubTestContext.Repo)).Directory);
    }

    [Fact]
    public async Task A_tensorflow_only_repository_downloads_its_h5_file()
    {
        await using var context = new HubTestContext();
        string served = ServedWithoutSafetensors(context);
        File.WriteAllBytes(Path.Combine(served, "tf_model.h5"), Fixture("tf", "tf_model.h5"));

        HubSnapshot snapshot = await context.DownloadAsync();

        Assert.Contains("tf_model.h5", snapshot.Files);
        Assert.True(File.Exists(Path.Combine(context.RepoFolder, ".no_exist", context.Server.Commit, "pytorch_model.bin")));
    }

    [Fact]
    public async Task An_html_page_served_as_pytorch_model_bin_is_refused()
    {
        await using var context = new HubTestContext();
        string served = ServedWithoutSafetensors(context);
        File.WriteAllBytes(Path.Combine(served, "pytorch_model.bin"), "not a checkpoint at all, just text"u8.ToArray());

        HubException error = await Assert.ThrowsAsync<HubException>(() => context.DownloadAsync());

        Assert.Contains("torch.save", error.Message, StringComparison.Ordinal);
    }
}
