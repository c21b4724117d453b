using AlbertGen.Hub;

namespace AlbertGen.Tests.Hub;

public sealed class HubRepoIdTests
{
    [Theory]
    [InlineData("albert/albert-base-v2", "albert", "albert-base-v2", "models--albert--albert-base-v2")]
    [InlineData("albert-base-v2", null, "albert-base-v2", "models--albert-base-v2")]
    [InlineData("user_1/model.v2", "user_1", "model.v2", "models--user_1--model.v2")]
    public void Valid_ids_parse_into_organization_name_and_cache_folder(string text, string? organization, string name, string folder)
    {
        var id = HubRepoId.Parse(text);

        Assert.Equal(organization, id.Organization);
        Assert.Equal(name, id.Name);
        Assert.Equal(folder, id.CacheFolderName);
        Assert.Equal(text, id.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b/c")]
    [InlineData("../albert")]
    [InlineData("albert/..")]
    [InlineData("/albert")]
    [InlineData("albert/")]
    [InlineData("org/.hidden")]
    [InlineData("org/name-")]
    [InlineData("a--b/c")]
    [InlineData("a..b")]
    [InlineData("org/repo.git")]
    [InlineData("org/with space")]
    [InlineData("org\\name")]
    public void Invalid_ids_are_refused(string text)
    {
        Assert.False(HubRepoId.TryParse(text, out _));
        var error = Assert.Throws<HubException>(() => HubRepoId.Parse(text));
        Assert.Equal(HubErrorKind.InvalidRepoId, error.Kind);
    }

    [Fact]
    public void A_name_may_have_96_characters_but_not_97()
    {
        Assert.True(HubRepoId.TryParse("org/" + new string('a', 96), out _));
        Assert.False(HubRepoId.TryParse("org/" + new string('a', 97), out _));
    }
}
