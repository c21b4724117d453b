namespace AlbertGen.Generators.Tests;

/// <summary>Config texts for the tests: the shared tiny fixture, and edits of it.</summary>
public static class Configs
{
    /// <summary>The tiny fixture's config.json (architectures: AlbertForPreTraining).</summary>
    public static string Tiny { get; } = File.ReadAllText(Path.Combine(TestFolders.FixtureModel("tiny"), "config.json")).Replace("\r\n", "\n");

    /// <summary>The tiny config with one field's value replaced (the field must be in the file).</summary>
    public static string TinyWith(string field, string json)
    {
        string marker = "\"" + field + "\": ";
        int start = Tiny.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, field + " is not in the tiny config");
        start += marker.Length;
        int end = Tiny.IndexOfAny([',', '\n'], start);
        if (Tiny[start] == '[')
        {
            end = Tiny.IndexOf(']', start) + 1;
        }

        return Tiny[..start] + json + Tiny[end..];
    }

    /// <summary>The tiny config with extra members added at the top of the object.</summary>
    public static string TinyPlus(string members) => "{\n  " + members + ",\n" + Tiny[2..];

    /// <summary>A declaration of <c>Fixtures.Tiny</c> with the given attribute arguments.</summary>
    public static string Declaration(string attributeArguments = "\"config.json\"") => $$"""
        using AlbertGen;

        namespace Fixtures;

        /// <summary>A typed model.</summary>
        [AlbertModel({{attributeArguments}})]
        public static partial class Tiny;
        """;
}
