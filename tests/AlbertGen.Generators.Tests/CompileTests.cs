using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace AlbertGen.Generators.Tests;

/// <summary>The generated API as user code sees it, compiled in memory against the real runtime.</summary>
public sealed class CompileTests
{
    private static Run RunWithUsage(string usage, string heads = "AlbertHeads.MaskedLM | AlbertHeads.SequenceClassification", string? config = null)
    {
        string declaration = Configs.Declaration("\"config.json\", Heads = " + heads) + "\n\n" + usage;
        return GeneratorHarness.Run(declaration, config ?? Configs.TinyPlus("\"id2label\": { \"0\": \"negative\", \"1\": \"positive\" }"));
    }

    [Fact]
    public void Using_an_undeclared_head_is_an_ordinary_compile_error()
    {
        Run run = RunWithUsage("""
            static class Use
            {
                static object Make() => new Fixtures.Tiny.ForQuestionAnswering();
            }
            """);

        run.AssertNoCrash();
        Assert.Contains(run.CompilerDiagnostics, d => d.Id == "CS0426" && d.GetMessage().Contains("ForQuestionAnswering", StringComparison.Ordinal));
    }

    [Fact]
    public void Constants_are_compile_time_constants_and_types_fit_the_runtime()
    {
        Run run = RunWithUsage("""
            /// <summary>Usage.</summary>
            public static class Use
            {
                /// <summary>A constant computed from constants.</summary>
                public const int Width = Fixtures.Tiny.HiddenSize * Fixtures.Tiny.NumAttentionHeads + Fixtures.Tiny.AttentionHeadSize;

                /// <summary>Typed models and labels.</summary>
                public static string Describe(int id)
                {
                    AlbertGen.Modeling.AlbertForMaskedLM masked = new Fixtures.Tiny.ForMaskedLM();
                    Fixtures.Tiny.ForSequenceClassification classifier = Fixtures.Tiny.ForSequenceClassification.FromPretrained("checkpoint");
                    AlbertGen.AlbertConfig config = Fixtures.Tiny.Config;
                    var label = (Fixtures.Tiny.ForSequenceClassification.Label)id;
                    string name = label switch
                    {
                        Fixtures.Tiny.ForSequenceClassification.Label.Negative => "neg",
                        Fixtures.Tiny.ForSequenceClassification.Label.Positive => "pos",
                        _ => Fixtures.Tiny.ForSequenceClassification.GetName(label),
                    };
                    return name + masked.Config.VocabSize + classifier.Config.NumLabels + config.HiddenSize
                        + (Fixtures.Tiny.HiddenAct == AlbertGen.AlbertActivation.GeluNew) + Fixtures.Tiny.LayerNormEps
                        + Fixtures.Tiny.ForSequenceClassification.LabelNames[1];
                }
            }
            """);

        run.AssertNoCrash();
        Assert.Empty(run.CompilerProblems);
    }

    [Fact]
    public void Generated_code_has_no_warnings_with_nullable_documentation_and_every_warning_level()
    {
        Run run = RunWithUsage(string.Empty, "AlbertHeads.PreTraining | AlbertHeads.MaskedLM | AlbertHeads.SequenceClassification | AlbertHeads.TokenClassification | AlbertHeads.QuestionAnswering | AlbertHeads.MultipleChoice");

        run.AssertNoCrash();
        Assert.Equal(DocumentationMode.Diagnose, GeneratorHarness.ParseOptions.DocumentationMode);
        Assert.Equal(NullableContextOptions.Enable, run.Output.Options.NullableContextOptions);
        Assert.Empty(run.CompilerProblems);
    }

    /// <remarks>C# 9 is the floor: the typed config is built with <c>AlbertConfig</c>'s init-only setters.</remarks>
    [Theory]
    [InlineData(LanguageVersion.CSharp9)]
    [InlineData(LanguageVersion.CSharp10)]
    public void Generated_code_compiles_with_older_language_versions(LanguageVersion version)
    {
        const string declaration = """
            using AlbertGen;

            namespace Fixtures
            {
                /// <summary>A typed model.</summary>
                [AlbertModel("config.json", Heads = AlbertHeads.MaskedLM | AlbertHeads.TokenClassification)]
                public static partial class Tiny
                {
                }
            }
            """;
        CSharpCompilation compilation = GeneratorHarness.Compile((GeneratorHarness.ProjectDir + "Model.cs", declaration));
        var options = new CSharpParseOptions(version, DocumentationMode.Diagnose);
        compilation = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees[0], compilation.SyntaxTrees[0].WithRootAndOptions(compilation.SyntaxTrees[0].GetRoot(), options));

        GeneratorHarness.Driver([new InMemoryText(GeneratorHarness.ProjectDir + "config.json", Configs.TinyPlus("\"id2label\": { \"0\": \"O\", \"1\": \"B-PER\" }"))])
            .WithUpdatedParseOptions(options)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);

        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.Id + " " + d.GetMessage()).Distinct().ToList());
    }

    [Fact]
    public void Config_path_is_found_relative_to_the_project_folder_from_a_subfolder()
    {
        Run run = GeneratorHarness.Run(
            [(GeneratorHarness.ProjectDir + "Models/Nested/Model.cs", Configs.Declaration("\"configs/tiny.json\""))],
            [new InMemoryText(GeneratorHarness.ProjectDir + "configs/tiny.json", Configs.Tiny)]);

        run.AssertNoCrash();
        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Sources);
    }

    [Fact]
    public void Config_path_may_climb_out_of_the_project_folder()
    {
        Run run = GeneratorHarness.Run(
            [(GeneratorHarness.ProjectDir + "Model.cs", Configs.Declaration("\"../shared/models/tiny/config.json\""))],
            [new InMemoryText("/shared/models/tiny/config.json", Configs.Tiny)]);

        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Sources);
    }

    [Fact]
    public void Config_path_is_found_beside_the_declaring_file_without_a_project_folder()
    {
        Run run = GeneratorHarness.Run(
            [("/src/app/Model.cs", Configs.Declaration())],
            [new InMemoryText("/src/app/config.json", Configs.Tiny), new InMemoryText("/src/other/config.json", "not json")],
            projectDir: null);

        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Sources);
    }

    [Fact]
    public void Without_heads_the_architectures_decide_and_the_encoder_is_always_there()
    {
        Run run = GeneratorHarness.Run(Configs.Declaration(), Configs.Tiny);

        Assert.Contains("class Encoder : global::AlbertGen.Modeling.AlbertModel", run.Source, StringComparison.Ordinal);
        Assert.Contains("class ForPreTraining :", run.Source, StringComparison.Ordinal);
        Assert.Contains("class ForMaskedLM :", run.Source, StringComparison.Ordinal);
        Assert.DoesNotContain("class ForSequenceClassification", run.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Generation_is_deterministic()
    {
        string first = GeneratorHarness.Run(Configs.Declaration(), Configs.Tiny).Source;
        string second = GeneratorHarness.Run(Configs.Declaration(), Configs.Tiny).Source;

        Assert.Equal(first, second);
        Assert.DoesNotContain(GeneratorHarness.ProjectDir, first, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", first, StringComparison.Ordinal);
    }
}
