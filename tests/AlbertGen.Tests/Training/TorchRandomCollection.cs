namespace AlbertGen.Tests.Training;

/// <summary>
/// Tests that rely on TorchSharp's global random generator (weight initialisation, dropout) for exact reproducibility.
/// They run alone: a test class running in parallel would draw from the same generator.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchRandomCollection
{
    public const string Name = "Torch global RNG";
}
