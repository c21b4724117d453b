using System.Reflection;

namespace AlbertGen.Generators.Tests;

/// <summary>Records, at build time, where the shared fixtures, the repository and this test project are.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class TestFoldersAttribute(string shared, string repository, string project) : Attribute
{
    public string Shared { get; } = shared;

    public string Repository { get; } = repository;

    public string Project { get; } = project;
}

/// <summary>Paths the tests read (and, for baselines, write).</summary>
public static class TestFolders
{
    private static readonly TestFoldersAttribute Folders =
        typeof(TestFolders).Assembly.GetCustomAttribute<TestFoldersAttribute>()!;

    /// <summary>The read-only shared folder beside the repository.</summary>
    public static string Shared => Folders.Shared;

    /// <summary>The repository root.</summary>
    public static string Repository => Folders.Repository;

    /// <summary>Where the snapshot baselines are.</summary>
    public static string Baselines => Path.Combine(Folders.Project, "Baselines");

    /// <summary>A fixture model folder, e.g. <c>tiny</c> or <c>tiny/heads/qa</c>.</summary>
    public static string FixtureModel(string name) => Path.Combine(Shared, "fixtures", "models", name);
}
