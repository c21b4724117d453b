namespace AlbertGen.Hub;

/// <summary>Where a model's files are: a folder given directly, or a snapshot in the HuggingFace cache.</summary>
/// <param name="Directory">The folder holding <c>config.json</c>, <c>spiece.model</c> and the weights.</param>
/// <param name="Snapshot">The cache snapshot the folder is, or <see langword="null"/> for a folder given directly.</param>
public sealed record ModelLocation(string Directory, HubSnapshot? Snapshot)
{
    /// <summary>Whether the model was found in the HuggingFace cache by its hub id.</summary>
    public bool IsFromHubCache => Snapshot is not null;
}
