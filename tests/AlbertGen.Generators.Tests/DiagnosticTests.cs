using System.Reflection;
using AlbertGen.Configuration;
using AlbertGen.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace AlbertGen.Generators.Tests;

/// <summary>Every diagnostic id, from the situation that causes it, with its location and severity.</summary>
public sealed class DiagnosticTests
{
    /// <summary>Setting <paramref name="field"/> to <paramref name="value"/> in the tiny config reports <paramref name="id"/> at that value.</summary>
    private static void AssertValueDiagnostic(string field, string value, string id)
    {
        string json = Configs.TinyWith(field, value);
        Diagnostic d = Single(GeneratorHarness.Run(Configs.Declaration(), json), id);
        AssertInConfig(d, json, field, value);
    }

    private static Diagnostic Single(Run run, string id)
    {
        run.AssertNoCrash();
        return Assert.Single(run.Diagnostics, d => d.Id == id);
    }

    /// <summary>The diagnostic points into config.json, at exactly the value text given, on that field's line.</summary>
    private static void AssertInConfig(Diagnostic diagnostic, string json, string field, string value)
    {
        FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
        Assert.Equal(GeneratorHarness.ProjectDir + "config.json", span.Path);
        int line = Array.FindIndex(json.Split('\n'), l => l.Contains("\"" + field + "\"", StringComparison.Ordinal));
        Assert.Equal(line, span.StartLinePosition.Line);
        Assert.Equal(value, json.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
    }

    private static void AssertAtAttribute(Diagnostic diagnostic)
    {
        Assert.Equal(GeneratorHarness.ProjectDir + "Model.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.StartsWith("AlbertModel(", diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void Descriptor_table_uses_exactly_the_shared_problem_ids()
    {
        string[] shared = typeof(ConfigProblemIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (string)f.GetValue(null)!).Order().ToArray();

        Assert.Equal(shared, DiagnosticDescriptors.All.Select(d => d.Id).Order().ToArray());
        Assert.Equal(Enumerable.Range(1, shared.Length).Select(i => $"ALBG{i:000}"), shared);
    }

    [Fact]
    public void Config_that_is_not_an_additional_file_is_ALBG001_at_the_attribute()
    {
        Run run = GeneratorHarness.Run([(GeneratorHarness.ProjectDir + "Model.cs", Configs.Declaration())], []);

        Diagnostic d = Single(run, "ALBG001");
        AssertAtAttribute(d);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("<AdditionalFiles Include=\"config.json\" />", d.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Truncated_json_is_ALBG002_at_the_end_of_the_text()
    {
        string json = Configs.Tiny[..Configs.Tiny.IndexOf("\"hidden_act\"", StringComparison.Ordinal)];
        Diagnostic d = Single(GeneratorHarness.Run(Configs.Declaration(), json), "ALBG002");

        Assert.Equal(json.Split('\n').Length, d.Location.GetLineSpan().StartLinePosition.Line + 1);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
    }

    [Fact]
    public void Model_type_other_than_albert_is_ALBG003_at_the_value()
        => AssertValueDiagnostic("model_type", "\"bert\"", "ALBG003");

    [Fact]
    public void String_where_an_integer_belongs_is_ALBG004_at_the_value()
        => AssertValueDiagnostic("vocab_size", "\"1000\"", "ALBG004");

    [Fact]
    public void Zero_hidden_size_is_ALBG005_at_the_value()
        => AssertValueDiagnostic("hidden_size", "0", "ALBG005");

    [Fact]
    public void Hidden_size_not_divisible_by_heads_is_ALBG006()
        => AssertValueDiagnostic("hidden_size", "30", "ALBG006");

    [Fact]
    public void Layers_not_divisible_by_groups_is_ALBG007()
        => AssertValueDiagnostic("num_hidden_groups", "2", "ALBG007");

    [Fact]
    public void Unsupported_activation_is_ALBG008()
        => AssertValueDiagnostic("hidden_act", "\"tanh\"", "ALBG008");

    [Fact]
    public void Unsupported_position_embedding_type_is_ALBG009()
        => AssertValueDiagnostic("position_embedding_type", "\"rotary\"", "ALBG009");

    [Fact]
    public void Question_answering_with_three_labels_is_ALBG010_at_the_attribute_and_generates_nothing()
    {
        Run run = GeneratorHarness.Run(Configs.Declaration("\"config.json\", Heads = AlbertHeads.QuestionAnswering"), Configs.TinyPlus("\"num_labels\": 3"));

        Diagnostic d = Single(run, "ALBG010");
        AssertAtAttribute(d);
        Assert.Equal(GeneratorHarness.ProjectDir + "config.json", Assert.Single(d.AdditionalLocations).GetLineSpan().Path);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Gap_in_id2label_is_ALBG011()
    {
        Run run = GeneratorHarness.Run(Configs.Declaration(), Configs.TinyPlus("\"id2label\": { \"0\": \"a\", \"2\": \"b\" }"));

        Diagnostic d = Single(run, "ALBG011");
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
    }

    [Fact]
    public void Head_missing_from_architectures_is_warning_ALBG012_and_still_generates()
    {
        Run run = GeneratorHarness.Run(Configs.Declaration("\"config.json\", Heads = AlbertHeads.TokenClassification"), Configs.Tiny);

        Diagnostic d = Single(run, "ALBG012");
        AssertAtAttribute(d);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Contains("class ForTokenClassification", run.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Pragma_at_the_declaration_suppresses_ALBG012()
    {
        string declaration = Configs.Declaration("\"config.json\", Heads = AlbertHeads.TokenClassification")
            .Replace("[AlbertModel", "#pragma warning disable ALBG012\n[AlbertModel", StringComparison.Ordinal);
        Run run = GeneratorHarness.Run(declaration, Configs.Tiny);

        run.AssertNoCrash();
        Assert.DoesNotContain(run.Diagnostics, d => d.Id == "ALBG012" && !d.IsSuppressed);
    }

    [Fact]
    public void Dropout_above_one_is_ALBG013()
        => AssertValueDiagnostic("hidden_dropout_prob", "1.5", "ALBG013");

    [Fact]
    public void Bos_token_outside_the_vocabulary_is_warning_ALBG013()
    {
        Diagnostic d = Single(GeneratorHarness.Run(Configs.Declaration(), Configs.TinyWith("bos_token_id", "5000")), "ALBG013");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
    }

    [Fact]
    public void Unknown_problem_type_is_ALBG014()
    {
        Diagnostic d = Single(GeneratorHarness.Run(Configs.Declaration(), Configs.TinyPlus("\"problem_type\": \"ranking\"")), "ALBG014");
        Assert.Equal(2, d.Location.GetLineSpan().StartLinePosition.Line + 1);
    }

    [Fact]
    public void Duplicate_key_is_warning_ALBG015_and_still_generates()
    {
        Run run = GeneratorHarness.Run(Configs.Declaration(), Configs.TinyPlus("\"vocab_size\": 1000"));

        Diagnostic d = Single(run, "ALBG015");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Single(run.Sources);
    }

    [Fact]
    public void Misspelt_key_is_warning_ALBG016()
    {
        Diagnostic d = Single(GeneratorHarness.Run(Configs.Declaration(), Configs.TinyPlus("\"vocab_sise\": 1000")), "ALBG016");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Contains("vocab_sise", d.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("public static class Tiny { }", "static partial class")]
    [InlineData("public partial class Tiny { }", "static partial class")]
    [InlineData("public static partial class Tiny<T> { }", "generic")]
    [InlineData("public class Outer { [AlbertModel(\"config.json\")] public static partial class Tiny { } }", "partial too")]
    [InlineData("public static partial class Encoder { }", "rename the class")]
    public void Unsupported_declaration_is_ALBG017(string declaration, string expected)
    {
        string source = "using AlbertGen;\nnamespace Fixtures;\n" + (declaration.StartsWith("public class Outer", StringComparison.Ordinal) ? "" : "[AlbertModel(\"config.json\")]\n") + declaration;
        Run run = GeneratorHarness.Run(source, Configs.Tiny);

        Diagnostic d = Single(run, "ALBG017");
        Assert.Contains(expected, d.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }

    [Theory]
    [InlineData("LayerNormEps")]
    [InlineData("NumLabels")]
    [InlineData("PositionEmbeddingType")]
    [InlineData("ForMultipleChoice")]
    [InlineData("AttentionHeadSize")]
    [InlineData("LoadTokenizer")]
    [InlineData("Config")]
    public void A_class_named_like_a_generated_member_is_ALBG017(string name)
    {
        Run run = GeneratorHarness.Run("using AlbertGen;\nnamespace Fixtures;\n[AlbertModel(\"config.json\")]\npublic static partial class " + name + " { }", Configs.Tiny);

        Assert.Contains("rename the class", Single(run, "ALBG017").GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Heads_value_outside_the_flags_is_ALBG017()
    {
        Diagnostic d = Single(GeneratorHarness.Run(Configs.Declaration("\"config.json\", Heads = (AlbertHeads)64"), Configs.Tiny), "ALBG017");
        AssertAtAttribute(d);
    }

    [Fact]
    public void Config_path_that_is_not_json_is_ALBG017()
    {
        Diagnostic d = Single(GeneratorHarness.Run(Configs.Declaration("\"config.txt\""), Configs.Tiny, GeneratorHarness.ProjectDir + "config.txt"), "ALBG017");
        Assert.Contains(".json", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_config_path_is_ALBG017()
    {
        Single(GeneratorHarness.Run(Configs.Declaration("\"\""), Configs.Tiny), "ALBG017");
    }

    [Fact]
    public void Internal_failure_becomes_ALBG018_not_an_exception()
    {
        var failure = Parsing.ModelParser.Failure(null, "X.g.cs", new InvalidOperationException("boom"));

        DiagnosticInfo info = Assert.Single(failure.Diagnostics);
        Diagnostic d = info.ToDiagnostic();
        Assert.Equal("ALBG018", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("InvalidOperationException: boom", d.GetMessage(), StringComparison.Ordinal);
    }
}
