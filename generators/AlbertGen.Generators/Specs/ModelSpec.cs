using AlbertGen.Generators.Common;
using AlbertGen.Generators.Diagnostics;

namespace AlbertGen.Generators.Specs
{
    /// <summary>Everything the emitter needs to write one typed model, as plain equatable values.</summary>
    /// <param name="Namespace">The class's namespace, or <see langword="null"/> for the global namespace.</param>
    /// <param name="ContainingTypes">The partial types the class is nested in, outermost first.</param>
    /// <param name="ClassName">The class's name.</param>
    /// <param name="ConfigPath">The config path as written in the attribute (never an absolute path: output must not depend on the machine).</param>
    /// <param name="Heads">The heads to generate (<see cref="AlbertHeads"/> flags).</param>
    /// <param name="HeadsFromArchitectures">Whether <see cref="Heads"/> came from <c>architectures</c> rather than the attribute.</param>
    /// <param name="Config">The config values.</param>
    /// <param name="Labels">The label enum members; empty when the config has no <c>id2label</c>.</param>
    internal sealed record ModelSpec(
        string? Namespace,
        EquatableArray<ContainingTypeSpec> ContainingTypes,
        string ClassName,
        string ConfigPath,
        AlbertHeads Heads,
        bool HeadsFromArchitectures,
        ConfigSpec Config,
        EquatableArray<LabelSpec> Labels)
    {
        public bool Has(AlbertHeads head) => (Heads & head) != 0;
    }

    /// <summary>The values of a validated config, and which of its keys the file states (the rest are HuggingFace's defaults).</summary>
    /// <param name="Values">The config; <see cref="AlbertConfig"/> is a record compared field by field, so the spec is equatable.</param>
    /// <param name="FieldsInFile">The schema's JSON keys the file has.</param>
    internal sealed record ConfigSpec(AlbertConfig Values, EquatableArray<string> FieldsInFile)
    {
        public bool InFile(string field)
        {
            foreach (string f in FieldsInFile)
            {
                if (f == field)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>One member of a generated <c>Label</c> enum.</summary>
    /// <param name="Identifier">The C# identifier.</param>
    /// <param name="Id">The label id (the enum value and logit index).</param>
    /// <param name="Name">The original <c>id2label</c> name.</param>
    internal sealed record LabelSpec(string Identifier, int Id, string Name);

    /// <summary>The outcome of parsing one declaration: the model to emit (if any) and what to report.</summary>
    internal sealed record ModelResult(ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics, string HintName);
}
