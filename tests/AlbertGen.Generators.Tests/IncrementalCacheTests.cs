using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Steps = AlbertGen.Generators.AlbertModelGenerator.Steps;

namespace AlbertGen.Generators.Tests;

/// <summary>
/// The pipeline's cache: edits that do not concern a declaration or its config leave every named step cached, and the
/// values flowing between steps hold no Roslyn objects (which would keep compilations alive and never compare equal).
/// </summary>
public sealed class IncrementalCacheTests
{
    private static readonly string[] DownstreamSteps = [Steps.Declarations, Steps.ProjectDirectory, Steps.ModelInputs, Steps.Models];

    private readonly InMemoryText _config = new(GeneratorHarness.ProjectDir + "config.json", Configs.Tiny);
    private readonly InMemoryText _otherJson = new(GeneratorHarness.ProjectDir + "settings.json", "{ \"a\": 1 }");
    private readonly InMemoryText _notes = new(GeneratorHarness.ProjectDir + "notes.txt", "notes");
    private readonly CSharpCompilation _compilation = GeneratorHarness.Compile(
        (GeneratorHarness.ProjectDir + "Model.cs", Configs.Declaration()),
        (GeneratorHarness.ProjectDir + "Other.cs", "/// <summary>Unrelated.</summary>\npublic static class Other { }"));

    private GeneratorDriver FirstRun() =>
        GeneratorHarness.Driver([_config, _otherJson, _notes]).RunGenerators(_compilation);

    private static void AssertCached(GeneratorRunResult result, params string[] steps)
    {
        foreach (string step in steps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), step + " did not run");
            foreach (IncrementalGeneratorRunStep run in result.TrackedSteps[step])
            {
                Assert.All(run.Outputs, o => Assert.True(
                    o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                    $"{step} output was {o.Reason}"));
            }
        }
    }

    [Fact]
    public void Editing_an_unrelated_source_file_leaves_every_step_cached()
    {
        GeneratorDriver driver = FirstRun();
        SyntaxTree other = _compilation.SyntaxTrees.Single(t => t.FilePath.EndsWith("Other.cs", StringComparison.Ordinal));
        CSharpCompilation edited = _compilation.ReplaceSyntaxTree(other,
            other.WithChangedText(SourceText.From("/// <summary>Unrelated.</summary>\npublic static class Other { public const int X = 1; }")));

        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertCached(result, [.. DownstreamSteps, Steps.ConfigFiles]);
        Assert.Single(result.GeneratedSources);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Editing_an_unrelated_additional_file_leaves_the_model_steps_cached(bool json)
    {
        GeneratorDriver driver = FirstRun();
        InMemoryText old = json ? _otherJson : _notes;

        GeneratorRunResult result = driver.ReplaceAdditionalText(old, new InMemoryText(old.Path, old.Content + " "))
            .RunGenerators(_compilation).GetRunResult().Results.Single();

        AssertCached(result, DownstreamSteps);
        // The config's own entry is cached; only the edited JSON file (if it is one) is read again.
        var configFiles = result.TrackedSteps[Steps.ConfigFiles].SelectMany(s => s.Outputs).ToList();
        Assert.Contains(configFiles, o => o.Reason == IncrementalStepRunReason.Cached && ((Specs.ConfigFileSpec)o.Value).Path == _config.Path);
        Assert.DoesNotContain(configFiles, o => o.Reason != IncrementalStepRunReason.Cached && ((Specs.ConfigFileSpec)o.Value).Path == _config.Path);
    }

    [Fact]
    public void Editing_the_config_regenerates_the_model()
    {
        GeneratorDriver driver = FirstRun();

        GeneratorRunResult result = driver.ReplaceAdditionalText(_config, new InMemoryText(_config.Path, Configs.TinyWith("vocab_size", "2000")))
            .RunGenerators(_compilation).GetRunResult().Results.Single();

        Assert.Contains(result.TrackedSteps[Steps.Models].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("public const int VocabSize = 2000;", result.GeneratedSources.Single().SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Values_between_steps_hold_no_roslyn_objects()
    {
        GeneratorRunResult result = FirstRun().GetRunResult().Results.Single();

        foreach (string step in DownstreamSteps.Append(Steps.ConfigFiles))
        {
            foreach (IncrementalGeneratorRunStep run in result.TrackedSteps[step])
            {
                foreach ((object value, _) in run.Outputs)
                {
                    AssertPlainValues(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
                }
            }
        }
    }

    private static void AssertPlainValues(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
        {
            return;
        }

        Type type = value.GetType();
        Assert.False(value is ISymbol or Compilation or SyntaxNode or SyntaxTree or SemanticModel or AdditionalText or Location,
            $"{path} holds a {type.Name}");
        if (value is IEnumerable items)
        {
            foreach (object? item in items)
            {
                AssertPlainValues(item, path + "[]", seen);
            }

            return;
        }

        if (type.Namespace?.StartsWith("Microsoft.CodeAnalysis.Text", StringComparison.Ordinal) == true)
        {
            return; // TextSpan, LinePositionSpan: plain value structs.
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertPlainValues(field.GetValue(value), path + "." + field.Name, seen);
        }
    }
}
