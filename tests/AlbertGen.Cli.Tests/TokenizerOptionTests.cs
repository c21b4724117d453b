using System.Text.Json;
using AlbertGen.Tests;

namespace AlbertGen.Cli.Tests;

/// <summary>Which tokenizer the commands use: fast for a folder with tokenizer.json, slow for spiece.model alone, or <c>--tokenizer slow|fast</c>.</summary>
public sealed class TokenizerOptionTests
{
    // golden-fast.json t04 and golden.json t04: the fast tokenizer keeps "▁1" whole, the slow one splits it.
    private static readonly string[] FastTokens = ["[CLS]", "▁1", ",", "0", "0", "0", ",", "0", "0", "0", "[SEP]"];
    private static readonly string[] SlowTokens = ["[CLS]", "▁", "1", ",", "0", "0", "0", ",", "0", "0", "0", "[SEP]"];

    private static string FastFolder => Path.Combine(SharedFolder.Tokenizer, "fast");

    private static async Task<string[]> Tokens(params string[] args)
    {
        var (code, output, error) = await Cli.RunAsync(["tokenize", .. args, "1,000,000"]);
        Assert.True(code == 0, $"exit {code}: {error}");
        using JsonDocument json = JsonDocument.Parse(output);
        return [.. json.RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!)];
    }

    [Fact]
    public async Task A_folder_with_tokenizer_json_tokenizes_fast() => Assert.Equal(FastTokens, await Tokens("--model", FastFolder));

    [Fact]
    public async Task A_folder_with_only_spiece_model_tokenizes_slow_unless_fast_is_asked()
    {
        Assert.Equal(SlowTokens, await Tokens("--model", SharedFolder.Tokenizer));
        Assert.Equal(SlowTokens, await Tokens("--model", SharedFolder.Tokenizer, "--tokenizer", "slow"));
        Assert.Equal(FastTokens, await Tokens("--model", SharedFolder.Tokenizer, "--tokenizer", "fast"));
    }

    [Fact]
    public async Task Decode_uses_the_fast_decoder_for_a_fast_folder()
    {
        // golden-fast.json t37 ("   "): the fast decoder keeps the space token, the slow one strips it.
        var (code, output, error) = await Cli.RunAsync("decode", "--model", FastFolder, "2", "13", "3");
        Assert.True(code == 0, error);
        Assert.Equal("[CLS] [SEP]", output.TrimEnd('\n'));
    }

    [Fact]
    public async Task Slow_on_a_folder_without_spiece_model_is_an_input_error_in_one_line_naming_the_file()
    {
        var (code, output, error) = await Cli.RunAsync("tokenize", "--model", FastFolder, "--tokenizer", "slow", "text");

        Assert.Equal(CliApp.InputError, code);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("spiece.model", error);
    }

    [Fact]
    public async Task An_unknown_tokenizer_kind_is_a_usage_error_in_one_line()
    {
        var (code, output, error) = await Cli.RunAsync("tokenize", "--model", FastFolder, "--tokenizer", "quick", "text");

        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("quick", error);
    }
}
