using System.Text.Json;
using AlbertGen.Tests;

namespace AlbertGen.Cli.Tests;

/// <summary><c>albertgen info</c> reports what the checkpoint holds without loading it.</summary>
public sealed class InfoCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new("cli");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Json_reports_the_anchor_models_shape_and_parameter_count()
    {
        var (code, output, error) = await Cli.RunAsync("info", "--model", SharedFolder.Anchor, "--json");
        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement root = json.RootElement;
        Assert.Equal(768, root.GetProperty("hidden_size").GetInt32());
        Assert.Equal(12, root.GetProperty("num_hidden_layers").GetInt32());
        // albert-base-v2 with its pre-training heads: 11.8 M parameters, the 12 layer steps sharing one layer.
        Assert.Equal(11_813_810, root.GetProperty("parameters").GetInt64());
        Assert.Equal(7_186_944, root.GetProperty("encoder_parameters").GetInt64());
    }

    [Fact]
    public async Task Text_names_the_labels_of_a_classification_checkpoint()
    {
        var (code, output, _) = await Cli.RunAsync("info", "--model", Path.Combine(SharedFolder.Model("tiny"), "heads", "seqcls-single3"));
        Assert.Equal(0, code);
        Assert.Contains("labels       3:", output);
        Assert.Contains("architecture AlbertForSequenceClassification (albertgen classify)", output);
    }

    [Fact]
    public async Task A_hub_id_missing_from_the_cache_says_how_to_download_it()
    {
        string cache = _temp.NewFolder();
        var (code, _, error) = await Cli.RunAsync("info", "--model", "albert/albert-base-v2", "--cache-dir", cache);
        Assert.Equal(CliApp.InputError, code);
        Assert.Contains("albertgen download albert/albert-base-v2", error);
    }

    [Fact]
    public async Task An_invalid_config_is_reported_with_its_id()
    {
        string dir = _temp.NewFolder();
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"hidden_size": 30, "num_attention_heads": 4}""");
        var (code, _, error) = await Cli.RunAsync("info", "--model", dir);
        Assert.Equal(CliApp.InputError, code);
        Assert.Contains("ALBG006", error);
    }
}
