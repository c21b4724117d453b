namespace AlbertGen.Tests;

/// <summary>
/// A fresh folder <c>albertgen-{purpose}-*</c> under the system temp folder, deleted with everything in it on dispose: every
/// temporary file a test makes goes inside one, so test runs leave nothing behind (full temp folders once failed CI). Test
/// classes that need one per test hold it in a field and dispose it in their <c>Dispose</c>, which xUnit calls after each test.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Makes the folder.</summary>
    /// <param name="purpose">The middle of the folder's name, to tell whose folder it is.</param>
    public TempDirectory(string purpose = "tests")
    {
        Path = Directory.CreateTempSubdirectory($"albertgen-{purpose}-").FullName;
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>The path of <paramref name="name"/> in the folder (not created).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes <paramref name="contents"/> to <paramref name="name"/> in the folder; returns its path.</summary>
    public string File(string name, string contents)
    {
        string path = File(name);
        System.IO.File.WriteAllText(path, contents);
        return path;
    }

    /// <summary>The path of <paramref name="name"/> in a new subfolder of its own (not created), for helpers called more than once a test.</summary>
    public string NewFile(string name) => System.IO.Path.Combine(NewFolder(), name);

    /// <summary>A new, empty subfolder.</summary>
    public string NewFolder() => Directory.CreateDirectory(File(Guid.NewGuid().ToString("N"))).FullName;

    /// <summary>Deletes the folder and its contents.</summary>
    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
