using System.Collections.Generic;
using System.Threading;
using AlbertGen.Configuration;
using AlbertGen.Generators.Common;
using AlbertGen.Generators.Diagnostics;
using AlbertGen.Generators.Specs;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace AlbertGen.Generators.Parsing
{
    /// <summary>
    /// Turns a declaration and its config text into a <see cref="ModelSpec"/> and diagnostics, using the config
    /// reader shared with the runtime, so that "valid at build time" and "valid at run time" cannot disagree.
    /// </summary>
    internal static class ModelParser
    {
        /// <summary>Marks "no JSON position" when asking <see cref="AlbertConfigReader.CheckHeads"/> for problems.</summary>
        private static readonly TextPosition NoPosition = new TextPosition(-1, 0, 0, 0, 0, 0);

        public static ModelResult Parse(ModelInput input, CancellationToken cancellationToken)
        {
            DeclarationSpec declaration = input.Declaration;
            string hintName = HintName(declaration);
            var diagnostics = new List<DiagnosticInfo>(declaration.Diagnostics);
            if (!declaration.IsValid)
            {
                return new ModelResult(null, diagnostics.ToEquatableArray(), hintName);
            }

            if (input.ConfigFile is null || input.ConfigFile.Text is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(ConfigProblemIds.FileNotFound, declaration.AttributeLocation, declaration.ConfigPath, input.SearchedPaths));
                return new ModelResult(null, diagnostics.ToEquatableArray(), hintName);
            }

            cancellationToken.ThrowIfCancellationRequested();
            string configFile = input.ConfigFile.Path;
            string text = input.ConfigFile.Text;
            ConfigParseResult parsed = AlbertConfigReader.Parse(text);
            foreach (ConfigProblem problem in parsed.Problems)
            {
                diagnostics.Add(new DiagnosticInfo(problem.Id, Severity(problem), new[] { problem.Message }.ToEquatableArray(),
                    InFile(configFile, text, problem.Position), null));
            }

            AlbertConfig? config = parsed.Config;
            if (config is null)
            {
                return new ModelResult(null, diagnostics.ToEquatableArray(), hintName);
            }

            AlbertHeads heads = declaration.Heads.HasValue
                ? (AlbertHeads)declaration.Heads.Value
                : AlbertConfigReader.HeadsFromArchitectures(config.Architectures);

            // Head problems concern the declaration: report them at the attribute (where a #pragma can suppress
            // them), with the JSON field they are about as an additional location.
            bool headErrors = false;
            foreach (ConfigProblem problem in AlbertConfigReader.CheckHeads(parsed, heads, NoPosition))
            {
                headErrors |= problem.IsError;
                LocationInfo? json = problem.Position.Start >= 0 ? InFile(configFile, text, problem.Position) : null;
                diagnostics.Add(new DiagnosticInfo(problem.Id, Severity(problem), new[] { problem.Message }.ToEquatableArray(),
                    declaration.AttributeLocation ?? json, declaration.AttributeLocation is null ? null : json));
            }

            if (headErrors)
            {
                return new ModelResult(null, diagnostics.ToEquatableArray(), hintName);
            }

            var fieldsInFile = new List<string>();
            foreach (ConfigField field in AlbertConfigSchema.Fields)
            {
                foreach (string name in field.JsonNames)
                {
                    if (parsed.PositionOf(name).HasValue)
                    {
                        fieldsInFile.Add(name);
                    }
                }
            }

            var configSpec = new ConfigSpec(config, fieldsInFile.ToEquatableArray());

            var labels = new List<LabelSpec>();
            if (config.HasExplicitLabels && (heads & (AlbertHeads.SequenceClassification | AlbertHeads.TokenClassification)) != 0)
            {
                string[] identifiers = LabelNaming.Identifiers(config.Id2Label);
                for (int i = 0; i < identifiers.Length; i++)
                {
                    labels.Add(new LabelSpec(identifiers[i], i, config.Id2Label[i]));
                }
            }

            var model = new ModelSpec(declaration.Namespace, declaration.ContainingTypes, declaration.ClassName,
                declaration.ConfigPath, heads, !declaration.Heads.HasValue, configSpec, labels.ToEquatableArray());
            return new ModelResult(model, diagnostics.ToEquatableArray(), hintName);
        }

        /// <summary>A diagnostic for a declaration whose processing failed unexpectedly (a bug, reported instead of crashing the build).</summary>
        public static ModelResult Failure(DeclarationSpec declaration, System.Exception exception) =>
            Failure(declaration.AttributeLocation, HintName(declaration), exception);

        /// <summary>A diagnostic at <paramref name="location"/> for a failure before the declaration was understood.</summary>
        public static ModelResult Failure(LocationInfo? location, string hintName, System.Exception exception)
        {
            string what = exception.GetType().Name + ": " + exception.Message.Replace('\r', ' ').Replace('\n', ' ');
            DiagnosticInfo diagnostic = DiagnosticInfo.Create(ConfigProblemIds.GeneratorFailure, location, what);
            return new ModelResult(null, new[] { diagnostic }.ToEquatableArray(), hintName);
        }

        /// <summary>"Namespace.Outer.Class.g.cs", with characters a hint name cannot hold replaced.</summary>
        internal static string HintName(DeclarationSpec declaration)
        {
            var name = new System.Text.StringBuilder();
            foreach (char c in declaration.FullName)
            {
                name.Append(char.IsLetterOrDigit(c) || c == '.' || c == '_' ? c : '_');
            }

            return name.Append(".g.cs").ToString();
        }

        private static DiagnosticSeverity Severity(ConfigProblem problem) => problem.IsError ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;

        private static LocationInfo InFile(string path, string text, TextPosition position)
        {
            // Positions come from the shared parser; clamp them so that a bug there cannot make Location.Create throw.
            int start = System.Math.Min(System.Math.Max(position.Start, 0), text.Length);
            int length = System.Math.Min(System.Math.Max(position.Length, 0), text.Length - start);
            var lineStart = new LinePosition(System.Math.Max(position.Line, 0), System.Math.Max(position.Column, 0));
            var lineEnd = new LinePosition(System.Math.Max(position.EndLine, 0), System.Math.Max(position.EndColumn, 0));
            if (lineEnd < lineStart)
            {
                lineEnd = lineStart;
            }

            return new LocationInfo(path, new TextSpan(start, length), new LinePositionSpan(lineStart, lineEnd));
        }
    }
}
