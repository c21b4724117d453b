namespace AlbertGen.Training;

/// <summary>Copies an <see cref="AlbertConfig"/> with a new label vocabulary and problem type.</summary>
internal static class ConfigLabels
{
    /// <summary>The config with <c>num_labels</c>, <c>id2label</c> and <c>problem_type</c> replaced.</summary>
    /// <param name="c">The base config.</param>
    /// <param name="names">Label names by id.</param>
    /// <param name="isExplicit">Whether the names are written to <c>config.json</c>.</param>
    /// <param name="problemType">The problem type, or null to leave it unset.</param>
    /// <param name="architectures">The architectures to record.</param>
    public static AlbertConfig With(AlbertConfig c, IReadOnlyList<string> names, bool isExplicit, ProblemType? problemType, IReadOnlyList<string> architectures) =>
        c with { NumLabels = names.Count, Id2Label = names, HasExplicitLabels = isExplicit, ProblemType = problemType, Architectures = architectures };
}
