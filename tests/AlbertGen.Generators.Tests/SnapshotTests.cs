using System.Globalization;
using System.Text.Json.Nodes;

namespace AlbertGen.Generators.Tests;

/// <summary>
/// The generated code, compared with reviewed baselines (Baselines/*.cs) for four declarations that together show
/// every kind of output: the packaged models (declared exactly as their projects declare them), every head on a nested
/// class, and awkward label names. The shared fixture configs differ from these only in numbers, heads, labels and
/// problem types, so their tests check exactly those (read from the config with System.Text.Json) instead of holding
/// a copy of the whole output each.
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

    /// <summary>The integer constants and the <c>config.json</c> keys they come from.</summary>
    private static readonly (string Key, string Constant)[] IntConstants =
    [
        ("vocab_size", "VocabSize"), ("embedding_size", "EmbeddingSize"), ("hidden_size", "HiddenSize"),
        ("num_hidden_layers", "NumHiddenLayers"), ("num_hidden_groups", "NumHiddenGroups"), ("num_attention_heads", "NumAttentionHeads"),
        ("intermediate_size", "IntermediateSize"), ("inner_group_num", "InnerGroupNum"), ("max_position_embeddings", "MaxPositionEmbeddings"),
        ("type_vocab_size", "TypeVocabSize"), ("pad_token_id", "PadTokenId"), ("bos_token_id", "BosTokenId"), ("eos_token_id", "EosTokenId"),
    ];

    /// <summary>The nested model types of each HuggingFace class in <c>architectures</c> (a pre-training checkpoint has the MLM head too).</summary>
    private static readonly Dictionary<string, string[]> TypesOfArchitecture = new(StringComparer.Ordinal)
    {
        ["AlbertForPreTraining"] = ["ForPreTraining", "ForMaskedLM"],
        ["AlbertForMaskedLM"] = ["ForMaskedLM"],
        ["AlbertForSequenceClassification"] = ["ForSequenceClassification"],
        ["AlbertForTokenClassification"] = ["ForTokenClassification"],
        ["AlbertForQuestionAnswering"] = ["ForQuestionAnswering"],
        ["AlbertForMultipleChoice"] = ["ForMultipleChoice"],
    };

    [Theory]
    [MemberData(nameof(FixtureConfigs))]
    public void Fixture_config_generates_its_dimensions_heads_labels_and_problem_type(string fixture)
    {
        string className = ClassName(fixture);
        string config = File.ReadAllText(Path.Combine(TestFolders.FixtureModel(fixture), "config.json"));
        JsonObject json = JsonNode.Parse(config)!.AsObject();
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
        string source = run.Source;
        Assert.Contains($"static partial class {className}", source);

        // Dimensions: every integer constant has the file's value.
        foreach ((string key, string constant) in IntConstants)
        {
            Assert.Contains($"public const int {constant} = {(int)json[key]!};", source);
        }

        string activation = string.Concat(((string)json["hidden_act"]!).Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
        Assert.Contains($"HiddenAct = global::AlbertGen.AlbertActivation.{activation};", source);

        // Heads: exactly the types architectures provides, plus the encoder.
        var expectedTypes = new HashSet<string>(["Encoder"]);
        foreach (JsonNode? architecture in json["architectures"]!.AsArray())
        {
            expectedTypes.UnionWith(TypesOfArchitecture[(string)architecture!]);
        }

        foreach (string type in TypesOfArchitecture.Values.SelectMany(t => t).Append("Encoder").Distinct())
        {
            Assert.True(expectedTypes.Contains(type) == source.Contains($"public sealed partial class {type} :", StringComparison.Ordinal),
                $"{fixture}: the nested type {type} should {(expectedTypes.Contains(type) ? string.Empty : "not ")}be generated.");
        }

        // Labels: their number, and a Label enum (in the classification heads) exactly when the file names them.
        JsonObject? id2label = json["id2label"]?.AsObject();
        int numLabels = json["num_labels"] is { } n ? (int)n : id2label?.Count ?? 2;
        Assert.Contains($"public const int NumLabels = {numLabels};", source);
        bool classifies = expectedTypes.Contains("ForSequenceClassification") || expectedTypes.Contains("ForTokenClassification");
        Assert.Equal(id2label is not null && classifies, source.Contains("public enum Label", StringComparison.Ordinal));
        if (id2label is not null)
        {
            string names = string.Join(", ", Enumerable.Range(0, id2label.Count).Select(i => $"\"{(string)id2label[i.ToString(CultureInfo.InvariantCulture)]!}\""));
            Assert.Contains($"Id2Label = new string[] {{ {names} }},", source);
        }
        else
        {
            Assert.DoesNotContain("Id2Label =", source);
        }

        // The problem type, in the config and in the classifier's documentation.
        if (json["problem_type"] is { } problemType)
        {
            string member = string.Concat(((string)problemType!).Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
            Assert.Contains($"ProblemType = global::AlbertGen.ProblemType.{member},", source);
            string described = (string)problemType! switch
            {
                "regression" => "this is a regression",
                "single_label_classification" => "this is single-label classification",
                _ => "this is multi-label classification",
            };
            Assert.Contains(described, source);
        }
        else
        {
            Assert.DoesNotContain("ProblemType = ", source);
        }
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
