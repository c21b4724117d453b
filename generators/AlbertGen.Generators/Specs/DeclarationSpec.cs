using AlbertGen.Generators.Common;
using AlbertGen.Generators.Diagnostics;

namespace AlbertGen.Generators.Specs
{
    /// <summary>
    /// What an <c>[AlbertModel]</c> declaration asks for, as plain values: where the class is, which config file and
    /// which heads. <see cref="Diagnostics"/> holds the declaration's own problems (ALBG017); when any is an error,
    /// nothing is generated.
    /// </summary>
    /// <param name="Namespace">The class's namespace, or <see langword="null"/> for the global namespace.</param>
    /// <param name="ContainingTypes">The partial types the class is nested in, outermost first.</param>
    /// <param name="ClassName">The class's name.</param>
    /// <param name="ConfigPath">The config path as written in the attribute.</param>
    /// <param name="Heads">The declared heads (<see cref="AlbertHeads"/> flags), or <see langword="null"/> to take them from <c>architectures</c>.</param>
    /// <param name="DeclaringFilePath">The path of the file holding the attribute.</param>
    /// <param name="AttributeLocation">Where the attribute is, for diagnostics about the declaration.</param>
    /// <param name="Diagnostics">Problems of the declaration itself.</param>
    internal sealed record DeclarationSpec(
        string? Namespace,
        EquatableArray<ContainingTypeSpec> ContainingTypes,
        string ClassName,
        string ConfigPath,
        int? Heads,
        string DeclaringFilePath,
        LocationInfo? AttributeLocation,
        EquatableArray<DiagnosticInfo> Diagnostics)
    {
        public bool IsValid
        {
            get
            {
                foreach (DiagnosticInfo d in Diagnostics)
                {
                    if (d.IsError)
                    {
                        return false;
                    }
                }

                return true;
            }
        }

        /// <summary>The class's name with its namespace and containing types, for messages and file names.</summary>
        public string FullName
        {
            get
            {
                var name = new System.Text.StringBuilder();
                if (Namespace != null)
                {
                    name.Append(Namespace).Append('.');
                }

                foreach (ContainingTypeSpec type in ContainingTypes)
                {
                    name.Append(type.Name).Append('.');
                }

                return name.Append(ClassName).ToString();
            }
        }
    }

    /// <summary>A partial type the model class is nested in: its declaration keyword(s) and name with type parameters.</summary>
    /// <param name="Keyword">"class", "struct", "interface", "record" or "record struct".</param>
    /// <param name="Name">The name, with its type parameter list (<c>Outer&lt;T&gt;</c>) if any.</param>
    internal sealed record ContainingTypeSpec(string Keyword, string Name);
}
