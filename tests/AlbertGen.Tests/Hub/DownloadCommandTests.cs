using AlbertGen.Cli;

namespace AlbertGen.Tests.Hub;

/// <summary>
/// <c>albertgen download</c> end to end: a real ALBERT checkpoint served by a loopback hub is downloaded into a cache,
/// then used by hub id with no server at all.
/// </summary>
public sealed class DownloadCommandTests
{
    [Fact]
    public async Task A_downloaded_model_is_used_by_its_hub_id_after_the_server_is_gone()
    {
        using var temp = new TempDirectory("cli-cache"); // outlives the server's folder
        string cache = temp.Path;
        await using (var context = new HubTestContext(hubHeaders: true))
        {
            string served = Path.Combine(context.ServedRoot, "albert", "tiny");
            Directory.CreateDirectory(served);
            File.Copy(Path.Combine(SharedFolder.Model("tiny"), "config.json"), Path.Combine(served, "config.json"));
            File.Copy(Path.Combine(SharedFolder.Model("tiny"), "model.safetensors"), Path.Combine(served, "model.safetensors"));
            File.Copy(Path.Combine(SharedFolder.Tokenizer, "spiece.model"), Path.Combine(served, "spiece.model"));

            var (code, output, error) = await Run("download", "albert/tiny", "--endpoint", context.Server.Endpoint, "--cache-dir", cache);

            Assert.True(code == 0, error);
            Assert.Contains("models--albert--tiny", output);
            Assert.Contains("model.safetensors: done", error);
        }

        var (fillCode, filled, fillError) = await Run("fill-mask", "--model", "albert/tiny", "--cache-dir", cache, "--json", "the [MASK] is here");

        Assert.True(fillCode == 0, fillError);
        Assert.Contains("\"token_str\"", filled);
    }

    [Fact]
    public async Task A_missing_repository_fails_with_one_line_naming_it()
    {
        await using var context = new HubTestContext(hubHeaders: true);

        var (code, _, error) = await Run("download", "albert/nothing-here", "--endpoint", context.Server.Endpoint, "--cache-dir", context.CacheDir);

        Assert.Equal(CliApp.InputError, code);
        Assert.Contains("albert/nothing-here", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
