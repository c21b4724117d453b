using System.Linq;
using AlbertGen.Generators.Common;
using Microsoft.CodeAnalysis;

namespace AlbertGen.Generators.Diagnostics
{
    /// <summary>
    /// A diagnostic as plain values, carried through the pipeline and reported in the output step. The severity is
    /// stored because a few ids are errors in one case and warnings in another (the config reader decides).
    /// </summary>
    internal sealed record DiagnosticInfo(
        string Id,
        DiagnosticSeverity Severity,
        EquatableArray<string> MessageArgs,
        LocationInfo? Location,
        LocationInfo? AdditionalLocation)
    {
        public bool IsError => Severity == DiagnosticSeverity.Error;

        public static DiagnosticInfo Create(string id, LocationInfo? location, params string[] messageArgs) =>
            new DiagnosticInfo(id, DiagnosticDescriptors.Get(id).DefaultSeverity, messageArgs.ToEquatableArray(), location, null);

        /// <summary>The diagnostic, with source locations placed on <paramref name="compilation"/>'s trees where the file is one.</summary>
        public Diagnostic ToDiagnostic(Compilation? compilation = null)
        {
            DiagnosticDescriptor descriptor = DiagnosticDescriptors.Get(Id);
            Location? additional = AdditionalLocation?.ToLocation(compilation);
            return Diagnostic.Create(
                descriptor,
                Location?.ToLocation(compilation) ?? Microsoft.CodeAnalysis.Location.None,
                Severity,
                additional is null ? null : new[] { additional },
                properties: null,
                messageArgs: MessageArgs.Cast<object?>().ToArray());
        }
    }
}
