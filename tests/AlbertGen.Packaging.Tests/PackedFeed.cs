using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;

namespace AlbertGen.Packaging.Tests;

/// <summary>
/// The README's pack command (<c>dotnet pack AlbertGen.sln -c Release</c>) run once for every packaging test, into a
/// temporary feed, with a stable version no earlier run used (so NuGet's stable-package rules apply and the cache never
/// serves a stale copy). <c>--no-build</c>: the test run has just built the solution. Consumers restore from this feed plus
/// the usual registry into the usual package cache; on dispose the feed goes and so do the cache folders of this version.
/// </summary>
public sealed class PackedFeed : IDisposable
{
    /// <summary>Every package the solution packs.</summary>
    public static readonly string[] Packages =
    [
        "AlbertGen", "AlbertGen.Server", "AlbertGen.Extensions.AI", "AlbertGen.Training.Plots",
        "AlbertGen.Models.BaseV2", "AlbertGen.Models.XxlargeV2", "AlbertGen.Cli",
    ];

    public PackedFeed()
    {
        Work = Directory.CreateTempSubdirectory("albertgen-packages-").FullName;
        Feed = Path.Combine(Work, "feed");
        DateTime now = DateTime.UtcNow;
        Version = $"0.{now:yyMMdd}.{((int)now.TimeOfDay.TotalSeconds * 100) + (Environment.ProcessId % 100)}";
        Run(RepositoryRoot, "dotnet", "pack", Path.Combine(RepositoryRoot, "AlbertGen.sln"), "-c", Metadata("Configuration"), "--no-build",
            "-o", Feed, "-p:PackageVersion=" + Version);
        NuGetConfig = Path.Combine(Work, "nuget.config");
        File.WriteAllText(NuGetConfig, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="AlbertGen" /><package pattern="AlbertGen.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
    }

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    public static string SharedFixtures => Metadata("SharedFixtures");

    /// <summary>The folder of this run (the feed, consumers, the installed tool).</summary>
    public string Work { get; }

    public string Feed { get; }

    public string Version { get; }

    /// <summary>A nuget.config with the feed for AlbertGen's packages and the usual registry for the rest.</summary>
    public string NuGetConfig { get; }

    public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>A new consumer folder with the feed's nuget.config.</summary>
    public string NewConsumer(string name)
    {
        string folder = Path.Combine(Work, name);
        Directory.CreateDirectory(folder);
        File.Copy(NuGetConfig, Path.Combine(folder, "nuget.config"));
        return folder;
    }

    /// <summary>A model folder a pipeline loads: the tiny fixture checkpoint with the fixture tokenizer.</summary>
    public string TinyModel()
    {
        string folder = Path.Combine(Work, "tiny-model");
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder);
            string tiny = Path.Combine(SharedFixtures, "fixtures", "models", "tiny");
            File.Copy(Path.Combine(tiny, "config.json"), Path.Combine(folder, "config.json"));
            File.Copy(Path.Combine(tiny, "model.safetensors"), Path.Combine(folder, "model.safetensors"));
            File.Copy(Path.Combine(SharedFixtures, "fixtures", "tokenizer", "spiece.model"), Path.Combine(folder, "spiece.model"));
        }

        return folder;
    }

    /// <summary>The package ids and versions a .nupkg depends on, sorted by id.</summary>
    public static (string Id, string Version)[] Dependencies(string package)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        ZipArchiveEntry nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        XDocument document = XDocument.Load(stream);
        return [.. document.Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => ((string)e.Attribute("id")!, (string)e.Attribute("version")!)).Distinct().OrderBy(d => d.Item1, StringComparer.Ordinal)];
    }

    public static string Run(string directory, string file, params string[] args) => Run(directory, expectSuccess: true, file, args);

    public static string Run(string directory, bool expectSuccess, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 8 minutes.");
        }

        string text = output.Result + error.Result;
        Assert.True(process.ExitCode == 0 == expectSuccess, $"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{text}");
        return text;
    }

    public void Dispose()
    {
        Directory.Delete(Work, recursive: true);
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in Packages)
        {
            string copy = Path.Combine(cache, id.ToLowerInvariant(), Version);
            if (Directory.Exists(copy))
            {
                Directory.Delete(copy, recursive: true); // only this run's version: 200 MB of tool per run would pile up
            }
        }
    }

    private static string Metadata(string key) =>
        typeof(PackedFeed).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}

[CollectionDefinition(Name)]
public sealed class PackedFeedCollection : ICollectionFixture<PackedFeed>
{
    public const string Name = "Packed feed (one dotnet pack for every packaging test)";
}
