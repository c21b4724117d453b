namespace AlbertGen.Generators.Tests;

/// <summary>
/// The generated code, compared with reviewed baselines (Baselines/*.cs): for the packaged models, declared exactly as
/// their projects declare them, and for every shared fixture config, with the heads its <c>architectures</c> gives.
/// </summary>
public sealed class SnapshotTests
{
    [Theory]
    [InlineData("base-v2", "AlbertBaseV2")]
    [InlineData("xxlarge-v2", "AlbertXxlargeV2")]
    public void Packaged_model_generates_its_baseline(string folder, string className)
    {
        string project = Path.Combine(TestFolders.Repository, "models", folder);
        string declaration = File.ReadAllText(Path.Combine(project, className + ".cs"));
        string config = File.ReadAllText(Path.Combine(project, "config.json"));

        Run run = GeneratorHarness.Run(declaration, config);

        run.AssertNoCrash();
        Assert.Empty(run.CompilerProblems);
        Baseline.Match(className, run.Source);
    }

    public static TheoryData<string> FixtureConfigs()
    {
        var data = new TheoryData<string>();
        string models = Path.Combine(TestFolders.Shared, "fixtures", "models");
        foreach (string config in Directory.GetFiles(models, "config.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(models, Path.GetDirectoryName(config)!).Replace('\\', '/'));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureConfigs))]
    public void Fixture_config_generates_its_baseline(string fixture)
    {
        string className = ClassName(fixture);
        string config = File.ReadAllText(Path.Combine(TestFolders.FixtureModel(fixture), "config.json"));
        string declaration = $$"""
            using AlbertGen;

            namespace Fixtures;

            /// <summary>The {{fixture}} fixture.</summary>
            [AlbertModel("config.json")]
            public static partial class {{className}};
            """;

        Run run = GeneratorHarness.Run(declaration, config);

        run.AssertNoCrash();
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompilerProblems);
        Baseline.Match("Fixtures." + className, run.Source);
    }

    [Fact]
    public void Every_head_declared_on_a_global_namespace_class_nested_in_a_generic_type_generates_its_baseline()
    {
        string config = File.ReadAllText(Path.Combine(TestFolders.FixtureModel("tiny"), "config.json"));
        const string declaration = """
            using AlbertGen;

            /// <summary>A container.</summary>
            public partial class Container<T>
            {
                /// <summary>Every head.</summary>
                [AlbertModel("config.json", Heads = AlbertHeads.PreTraining | AlbertHeads.MaskedLM | AlbertHeads.SequenceClassification
                    | AlbertHeads.TokenClassification | AlbertHeads.QuestionAnswering | AlbertHeads.MultipleChoice)]
                public static partial class AllHeads;
            }
            """;

        Run run = GeneratorHarness.Run(declaration, config);

        run.AssertNoCrash();
        Assert.All(run.Diagnostics, d => Assert.Equal("ALBG012", d.Id));
        Assert.Empty(run.CompilerProblems);
        Baseline.Match("Container.AllHeads", run.Source);
    }

    [Fact]
    public void Labels_with_awkward_names_generate_their_baseline()
    {
        string config = File.ReadAllText(Path.Combine(TestFolders.FixtureModel("tiny"), "config.json"))
            .Replace("\"architectures\": [\n    \"AlbertForPreTraining\"\n  ],", """
                "architectures": ["AlbertForSequenceClassification"],
                  "id2label": { "0": "B-PER", "1": "not_entailment", "2": "1 star", "3": "", "4": "Négatif <b>", "5": "b-per", "6": "label", "7": "class" },
                """);
        const string declaration = """
            using AlbertGen;

            namespace Fixtures;

            /// <summary>Awkward labels.</summary>
            [AlbertModel("config.json")]
            public static partial class AwkwardLabels;
            """;

        Run run = GeneratorHarness.Run(declaration, config);

        run.AssertNoCrash();
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompilerProblems);
        Baseline.Match("Fixtures.AwkwardLabels", run.Source);
    }

    /// <summary><c>tiny/heads/seqcls-single3</c> → <c>TinyHeadsSeqclsSingle3</c>.</summary>
    private static string ClassName(string fixture)
    {
        var name = new System.Text.StringBuilder();
        foreach (string word in fixture.Split('/', '-'))
        {
            name.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
        }

        return name.ToString();
    }
}
