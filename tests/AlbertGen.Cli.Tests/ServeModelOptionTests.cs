using AlbertGen.Cli.Commands;

namespace AlbertGen.Cli.Tests;

/// <summary><c>albertgen serve --model</c>: a bare folder as before, or repeated as <c>NAME=DIR</c>.</summary>
public sealed class ServeModelOptionTests
{
    [Theory]
    [InlineData("models/tiny", null, "models/tiny")]
    [InlineData("qa=models/qa", "qa", "models/qa")]
    [InlineData("albert/albert-base-v2", null, "albert/albert-base-v2")]
    [InlineData("/srv/a=b/model", null, "/srv/a=b/model")]
    [InlineData("base=org/model=x", "base", "org/model=x")]
    public void A_model_is_a_bare_folder_or_hub_id_or_name_equals_folder(string value, string? name, string model)
    {
        Assert.Equal((name, model), ServeCommand.ParseModel(value));
    }

    [Fact]
    public void A_name_without_a_folder_is_a_usage_error()
    {
        Assert.Contains("give the model's folder after 'qa='", Assert.Throws<UsageException>(() => ServeCommand.ParseModel("qa=")).Message);
    }

    [Fact]
    public async Task Every_model_after_the_first_must_be_named()
    {
        var (code, output, error) = await Cli.RunAsync("serve", "--model", "first", "--model", "second", "--port", "0");
        Assert.Equal(CliApp.UsageError, code);
        Assert.Equal("", output);
        Assert.Contains("name every model after the first, as --model NAME=DIR", error);
    }
}
