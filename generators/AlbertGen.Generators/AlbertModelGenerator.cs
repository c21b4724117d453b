using System;
using System.Collections.Immutable;
using System.Text;
using AlbertGen.Generators.Diagnostics;
using AlbertGen.Generators.Emitting;
using AlbertGen.Generators.Parsing;
using AlbertGen.Generators.Specs;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace AlbertGen.Generators
{
    /// <summary>
    /// Turns <c>[AlbertModel("config.json")]</c> on a <c>static partial class</c> into a typed ALBERT model.
    /// </summary>
    /// <remarks>
    /// Pipeline: declarations (<c>ForAttributeWithMetadataName</c>) → specs; JSON additional files → (path, text);
    /// the two meet in <see cref="ConfigFileResolver"/>, whose output is just the declaration and its own file, so an
    /// unrelated edit leaves the later steps cached. <see cref="ModelParser"/> validates the config with the reader the
    /// runtime uses; <see cref="ModelEmitter"/> writes the code. Every step catches its own failures: the generator
    /// reports ALBG018 rather than crash the build.
    /// </remarks>
    [Generator(LanguageNames.CSharp)]
    public sealed class AlbertModelGenerator : IIncrementalGenerator
    {
        /// <summary>The attribute's full name.</summary>
        public const string AttributeName = "AlbertGen.AlbertModelAttribute";

        /// <summary>Names of the pipeline steps, for incremental-cache tests.</summary>
        public static class Steps
        {
            /// <summary>Declarations parsed into specs.</summary>
            public const string Declarations = "AlbertGen.Declarations";
            /// <summary>JSON additional files read into (path, text).</summary>
            public const string ConfigFiles = "AlbertGen.ConfigFiles";
            /// <summary>The project folder (<c>build_property.projectdir</c>).</summary>
            public const string ProjectDirectory = "AlbertGen.ProjectDirectory";
            /// <summary>Each declaration with the config file it names.</summary>
            public const string ModelInputs = "AlbertGen.ModelInputs";
            /// <summary>Validated model specs and diagnostics.</summary>
            public const string Models = "AlbertGen.Models";
        }

        /// <inheritdoc />
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<DeclarationOrFailure> declarations = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    AttributeName,
                    static (node, _) => node is ClassDeclarationSyntax,
                    static (syntax, cancellationToken) =>
                    {
                        try
                        {
                            return new DeclarationOrFailure(DeclarationParser.Parse(syntax, cancellationToken), null);
                        }
                        catch (Exception e) when (!(e is OperationCanceledException))
                        {
                            return new DeclarationOrFailure(null, ModelParser.Failure(LocationInfo.From(syntax.TargetNode.GetLocation()), string.Empty, e));
                        }
                    })
                .WithTrackingName(Steps.Declarations);

            IncrementalValuesProvider<ConfigFileSpec> configFiles = context.AdditionalTextsProvider
                .Where(static file => file.Path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                .Select(static (file, cancellationToken) =>
                {
                    try
                    {
                        return new ConfigFileSpec(file.Path, file.GetText(cancellationToken)?.ToString());
                    }
                    catch (Exception e) when (!(e is OperationCanceledException))
                    {
                        return new ConfigFileSpec(file.Path, null);
                    }
                })
                .WithTrackingName(Steps.ConfigFiles);

            IncrementalValueProvider<string?> projectDirectory = context.AnalyzerConfigOptionsProvider
                .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.projectdir", out string? folder) ? folder : null)
                .WithTrackingName(Steps.ProjectDirectory);

            IncrementalValuesProvider<InputOrFailure> inputs = declarations
                .Combine(configFiles.Collect())
                .Combine(projectDirectory)
                .Select(static (pair, _) =>
                {
                    DeclarationOrFailure declaration = pair.Left.Left;
                    if (declaration.Declaration is null)
                    {
                        return new InputOrFailure(null, declaration.Failure);
                    }

                    try
                    {
                        return new InputOrFailure(ConfigFileResolver.Resolve(declaration.Declaration, pair.Left.Right, pair.Right), null);
                    }
                    catch (Exception e) when (!(e is OperationCanceledException))
                    {
                        return new InputOrFailure(null, ModelParser.Failure(declaration.Declaration, e));
                    }
                })
                .WithTrackingName(Steps.ModelInputs);

            IncrementalValuesProvider<ModelResult> models = inputs
                .Select(static (input, cancellationToken) =>
                {
                    if (input.Input is null)
                    {
                        return input.Failure!;
                    }

                    try
                    {
                        return ModelParser.Parse(input.Input, cancellationToken);
                    }
                    catch (Exception e) when (!(e is OperationCanceledException))
                    {
                        return ModelParser.Failure(input.Input.Declaration, e);
                    }
                })
                .WithTrackingName(Steps.Models);

            // Sources depend on the specs alone, so they are re-emitted only when a spec changes.
            context.RegisterSourceOutput(models, static (output, result) => Emit(output, result));

            // Diagnostics are reported against the current compilation: a location rebuilt on its syntax tree is one
            // that #pragma warning disable can suppress (a plain file location bypasses pragmas). This step reruns on
            // every compilation change, but it only looks up trees; the named steps above stay cached.
            context.RegisterSourceOutput(models.Combine(context.CompilationProvider), static (output, pair) => Report(output, pair.Left, pair.Right));
        }

        private static void Report(SourceProductionContext output, ModelResult result, Compilation compilation)
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic(compilation));
            }
        }

        private static void Emit(SourceProductionContext output, ModelResult result)
        {
            if (result.Model is null)
            {
                return;
            }

            string source;
            try
            {
                source = ModelEmitter.Emit(result.Model);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFailure, Location.None, e.GetType().Name + ": " + e.Message));
                return;
            }

            try
            {
                output.AddSource(result.HintName, SourceText.From(source, Encoding.UTF8));
            }
            catch (ArgumentException)
            {
                // The same class declared twice ([AlbertModel] on two partial parts): the compiler already reports
                // the duplicate attribute (CS0579), and one generated part is enough.
            }
        }

        /// <summary>A parsed declaration, or the failure of parsing it.</summary>
        private sealed record DeclarationOrFailure(DeclarationSpec? Declaration, ModelResult? Failure);

        /// <summary>A resolved model input, or the failure that stopped it.</summary>
        private sealed record InputOrFailure(ModelInput? Input, ModelResult? Failure);
    }
}
