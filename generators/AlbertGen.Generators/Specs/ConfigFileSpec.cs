namespace AlbertGen.Generators.Specs
{
    /// <summary>An additional file that may be a config: its path and text (<see langword="null"/> when unreadable).</summary>
    internal sealed record ConfigFileSpec(string Path, string? Text);

    /// <summary>A declaration together with the config file it names, once that has been looked up.</summary>
    /// <param name="Declaration">The declaration.</param>
    /// <param name="ConfigFile">The matching additional file, or <see langword="null"/> when none matched.</param>
    /// <param name="SearchedPaths">The paths tried, for the "not found" message.</param>
    internal sealed record ModelInput(DeclarationSpec Declaration, ConfigFileSpec? ConfigFile, string SearchedPaths);
}
