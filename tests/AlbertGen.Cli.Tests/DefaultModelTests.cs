using System.Text.Json;

namespace AlbertGen.Cli.Tests;

/// <summary>Without <c>--model</c>, commands use the default model shipped beside the command line (models/shakespeare).</summary>
public sealed class DefaultModelTests
{
    [Fact]
    public async Task Info_without_a_model_describes_the_shipped_default_model()
    {
        var (code, output, error) = await Cli.RunAsync("info", "--json");

        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Equal(5000, json.RootElement.GetProperty("vocab_size").GetInt32());
        Assert.Equal(256, json.RootElement.GetProperty("hidden_size").GetInt32());
        Assert.True(json.RootElement.GetProperty("has_tokenizer").GetBoolean());
    }

    [Fact]
    public async Task Fill_mask_without_a_model_runs_the_main_job()
    {
        var (code, output, error) = await Cli.RunAsync("fill-mask", "--json", "--top-k", "5", "to be, or not to [MASK]: that is the question");

        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement candidates = json.RootElement.ValueKind == JsonValueKind.Array ? json.RootElement : json.RootElement.GetProperty("masks")[0];
        Assert.Equal(5, candidates.GetArrayLength());
        Assert.All(candidates.EnumerateArray(), c => Assert.StartsWith("to be, or not to", c.GetProperty("sequence").GetString()));
    }
}
