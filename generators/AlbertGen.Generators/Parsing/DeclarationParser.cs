using System.Collections.Generic;
using System.Linq;
using System.Threading;
using AlbertGen.Configuration;
using AlbertGen.Generators.Common;
using AlbertGen.Generators.Diagnostics;
using AlbertGen.Generators.Specs;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace AlbertGen.Generators.Parsing
{
    /// <summary>
    /// Turns an <c>[AlbertModel]</c> class declaration into a <see cref="DeclarationSpec"/>, checking the forms the
    /// generator can extend: a non-generic <c>static partial class</c>, nested only in partial types.
    /// </summary>
    internal static class DeclarationParser
    {
        /// <summary>
        /// Names the generator adds to the class, so the class must not have one of them: the schema's constants, the
        /// registry's nested types, and the members <c>ModelEmitter</c> writes besides those.
        /// </summary>
        private static readonly HashSet<string> GeneratedMemberNames = new HashSet<string>(
            AlbertConfigSchema.Fields.Where(field => field.Is(ConfigFieldRoles.Constant)).Select(field => field.PropertyName)
                .Concat(AlbertHeadRegistry.All.Select(head => head.TypeName))
                .Concat(new[] { "Config", "LoadTokenizer", "AttentionHeadSize" }),
            System.StringComparer.Ordinal);

        public static DeclarationSpec Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var node = (ClassDeclarationSyntax)context.TargetNode;
            var symbol = (INamedTypeSymbol)context.TargetSymbol;
            AttributeData attribute = context.Attributes[0];
            LocationInfo? attributeLocation = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation())
                ?? LocationInfo.From(node.Identifier.GetLocation());
            var diagnostics = new List<DiagnosticInfo>();
            void Invalid(string message) => diagnostics.Add(DiagnosticInfo.Create(AlbertGen.Configuration.ConfigProblemIds.InvalidDeclaration, attributeLocation, message));

            string name = symbol.Name;
            if (!node.Modifiers.Any(SyntaxKind.StaticKeyword) || !node.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                Invalid("[AlbertModel] class '" + name + "' must be declared 'static partial class' so that the generator can add the model's constants and types to it");
            }

            if (node.TypeParameterList != null)
            {
                Invalid("[AlbertModel] class '" + name + "' must not be generic; remove its type parameters");
            }

            if (node.Modifiers.Any(SyntaxKind.FileKeyword))
            {
                Invalid("[AlbertModel] class '" + name + "' must not be file-local: the generated part lives in another file; remove the 'file' modifier");
            }

            if (GeneratedMemberNames.Contains(name))
            {
                Invalid("[AlbertModel] class '" + name + "' has the name of a member the generator adds to it; rename the class");
            }

            var containing = new List<ContainingTypeSpec>();
            for (SyntaxNode? parent = node.Parent; parent is TypeDeclarationSyntax type; parent = parent.Parent)
            {
                if (!type.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    Invalid("[AlbertModel] class '" + name + "' is nested in '" + type.Identifier.ValueText + "', which must be partial too; add the 'partial' modifier to it");
                }

                if (type.Modifiers.Any(SyntaxKind.FileKeyword))
                {
                    Invalid("[AlbertModel] class '" + name + "' is nested in the file-local type '" + type.Identifier.ValueText + "'; the generated part lives in another file, so move the class out");
                }

                containing.Insert(0, new ContainingTypeSpec(Keyword(type), type.Identifier.ValueText + (type.TypeParameterList?.ToString() ?? string.Empty)));
            }

            string configPath = string.Empty;
            if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string path && path.Trim().Length > 0)
            {
                configPath = path;
                if (!path.EndsWith(".json", System.StringComparison.OrdinalIgnoreCase))
                {
                    // Only .json additional files are read (reading every additional file would cost every build).
                    Invalid("[AlbertModel] on '" + name + "' names '" + path + "', but the config must be a .json file (HuggingFace's config.json); rename it");
                }
            }
            else
            {
                Invalid("[AlbertModel] on '" + name + "' needs the path of a config.json, relative to this file's folder or the project folder, e.g. [AlbertModel(\"config.json\")]");
            }

            int? heads = null;
            foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
            {
                if (argument.Key == "Heads" && argument.Value.Value is int value)
                {
                    const int all = (int)(AlbertHeads.PreTraining | AlbertHeads.MaskedLM | AlbertHeads.SequenceClassification | AlbertHeads.TokenClassification | AlbertHeads.QuestionAnswering | AlbertHeads.MultipleChoice);
                    if ((value & ~all) != 0)
                    {
                        Invalid("[AlbertModel] on '" + name + "' has Heads = " + value + ", which includes values that are not AlbertHeads flags; combine AlbertHeads members with '|'");
                    }

                    heads = value & all;
                }
            }

            string? ns = symbol.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
            return new DeclarationSpec(ns, containing.ToEquatableArray(), name, configPath, heads, node.SyntaxTree.FilePath,
                attributeLocation, diagnostics.ToEquatableArray());
        }

        private static string Keyword(TypeDeclarationSyntax type) => type switch
        {
            RecordDeclarationSyntax record when record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
            RecordDeclarationSyntax => "record",
            StructDeclarationSyntax => "struct",
            InterfaceDeclarationSyntax => "interface",
            _ => "class",
        };
    }
}
