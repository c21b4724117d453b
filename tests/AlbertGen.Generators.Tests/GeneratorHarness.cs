using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace AlbertGen.Generators.Tests;

/// <summary>
/// Runs the generator in memory: a compilation of C# sources that references the framework, the AlbertGen runtime
/// and TorchSharp, additional files, and the <c>build_property.projectdir</c> option a real build passes.
/// </summary>
public static class GeneratorHarness
{
    /// <summary>The project folder of in-memory projects.</summary>
    public const string ProjectDir = "/project/";

    public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    /// <summary>A compilation of the sources (path, text), as a library with nullable enabled.</summary>
    public static CSharpCompilation Compile(params (string Path, string Text)[] sources) =>
        CSharpCompilation.Create(
            "TypedModels",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path, Encoding.UTF8)),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));

    /// <summary>A driver for the generator, with step tracking on.</summary>
    public static GeneratorDriver Driver(IEnumerable<AdditionalText> additionalFiles, string? projectDir = ProjectDir) =>
        CSharpGeneratorDriver.Create(
            [new AlbertModelGenerator().AsSourceGenerator()],
            additionalFiles,
            ParseOptions,
            new OptionsProvider(projectDir),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once on a declaration and a config.</summary>
    public static Run Run(string declaration, string configJson, string configPath = ProjectDir + "config.json", string declarationPath = ProjectDir + "Model.cs") =>
        Run([(declarationPath, declaration)], [new InMemoryText(configPath, configJson)]);

    /// <summary>Runs the generator once.</summary>
    public static Run Run((string Path, string Text)[] sources, AdditionalText[] additionalFiles, string? projectDir = ProjectDir)
    {
        CSharpCompilation compilation = Compile(sources);
        GeneratorDriver driver = Driver(additionalFiles, projectDir)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> driverDiagnostics);
        return new Run(driver.GetRunResult(), output, driverDiagnostics);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The framework's own assemblies, plus the runtime and TorchSharp (copied beside the tests by the project reference).
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var files = Directory.GetFiles(framework, "*.dll")
            .Where(f => !Path.GetFileName(f).StartsWith("Microsoft.VisualBasic", StringComparison.Ordinal))
            .Concat([Path.Combine(AppContext.BaseDirectory, "AlbertGen.dll"), Path.Combine(AppContext.BaseDirectory, "TorchSharp.dll")]);
        var references = ImmutableArray.CreateBuilder<MetadataReference>();
        foreach (string file in files)
        {
            try
            {
                references.Add(MetadataReference.CreateFromFile(file));
            }
            catch (BadImageFormatException)
            {
                // Native files in the framework folder.
            }
        }

        return references.ToImmutable();
    }

    private sealed class OptionsProvider(string? projectDir) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(projectDir);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;

        private sealed class Options(string? projectDir) : AnalyzerConfigOptions
        {
            public static readonly Options Empty = new(null);

            public override bool TryGetValue(string key, out string value)
            {
                value = projectDir ?? string.Empty;
                return key == "build_property.projectdir" && projectDir != null;
            }
        }
    }
}

/// <summary>An additional file held in memory.</summary>
public sealed class InMemoryText(string path, string text) : AdditionalText
{
    public override string Path { get; } = path;

    public string Content { get; } = text;

    public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(Content, Encoding.UTF8);
}

/// <summary>What one run of the generator produced.</summary>
public sealed record Run(GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> DriverDiagnostics)
{
    /// <summary>The generator's diagnostics.</summary>
    public ImmutableArray<Diagnostic> Diagnostics => Result.Diagnostics;

    /// <summary>The generated sources, by hint name.</summary>
    public IReadOnlyDictionary<string, string> Sources =>
        Result.Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString());

    /// <summary>The one generated source.</summary>
    public string Source => Assert.Single(Sources).Value;

    /// <summary>Ids of the generator's diagnostics.</summary>
    public IEnumerable<string> Ids => Diagnostics.Select(d => d.Id);

    /// <summary>Compiler diagnostics of the output compilation (user code plus generated code), hidden ones left out.</summary>
    public IEnumerable<Diagnostic> CompilerDiagnostics => Output.GetDiagnostics().Where(d => d.Severity != DiagnosticSeverity.Hidden);

    /// <summary>Compiler warnings and errors of the output compilation, as "ID: message" for readable failures.</summary>
    public List<string> CompilerProblems =>
        CompilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToList();

    /// <summary>Fails unless the generator ran without throwing.</summary>
    public void AssertNoCrash()
    {
        Assert.All(Result.Results, r => Assert.Null(r.Exception));
        Assert.DoesNotContain(Diagnostics.Concat(DriverDiagnostics), d => d.Id is "CS8785" or "AD0001");
    }
}
