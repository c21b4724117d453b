using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;

namespace AlbertGen.Packaging.Tests;

/// <summary>
/// The packages work for a fresh consumer: <c>dotnet pack</c> the runtime (with the generator inside) and a model
/// package into a local folder, then build and run a new console project that references them from that folder only
/// (third-party packages from the usual registry) and declares its own model from a config file.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ConsumerProjectTests
{
    private static string Metadata(string key) =>
        typeof(ConsumerProjectTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    [Fact]
    public void A_fresh_console_project_builds_and_runs_against_the_packed_packages()
    {
        string root = Metadata("RepositoryRoot");
        string configuration = Metadata("Configuration");
        string work = Directory.CreateTempSubdirectory("albertgen-consumer-").FullName;
        string feed = Path.Combine(work, "feed");
        // A version no earlier run used, so the NuGet cache can never serve a stale copy.
        string version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Environment.ProcessId;
        try
        {
            string[] projects =
            [
                "runtime/AlbertGen/AlbertGen.csproj", "runtime/AlbertGen.Training.Plots/AlbertGen.Training.Plots.csproj",
                "runtime/AlbertGen.Extensions.AI/AlbertGen.Extensions.AI.csproj", "models/base-v2/AlbertGen.Models.BaseV2.csproj",
            ];
            foreach (string project in projects)
            {
                Run(root, "dotnet", "pack", Path.Combine(root, project), "--no-build", "-c", configuration, "-o", feed, "-p:Version=" + version);
            }

            // The core package carries no plotting or Microsoft.Extensions.AI dependency; those are in their own packages. Its
            // others: the tokenizer, libtorch, and the readers of Flax (MessagePack) and TensorFlow (PureHDF) checkpoints and
            // of the zip .bin storages' checksums (System.IO.Hashing), and the managed kernels' element-wise primitives
            // (System.Numerics.Tensors).
            Assert.Equal(
                ["MessagePack", "Microsoft.ML.Tokenizers", "PureHDF", "System.IO.Hashing", "System.Numerics.Tensors", "TorchSharp", "libtorch-cpu-linux-x64"],
                Dependencies(Path.Combine(feed, $"AlbertGen.{version}.nupkg")));
            Assert.Contains("ScottPlot", Dependencies(Path.Combine(feed, $"AlbertGen.Training.Plots.{version}.nupkg")));
            Assert.Contains("Microsoft.Extensions.AI.Abstractions", Dependencies(Path.Combine(feed, $"AlbertGen.Extensions.AI.{version}.nupkg")));

            string app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            File.Copy(Path.Combine(Metadata("SharedFixtures"), "fixtures", "models", "tiny", "config.json"), Path.Combine(app, "tiny.json"));
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                  <packageSourceMapping>
                    <packageSource key="local"><package pattern="AlbertGen" /><package pattern="AlbertGen.*" /></packageSource>
                    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
                  </packageSourceMapping>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="AlbertGen" Version="{version}" />
                    <PackageReference Include="AlbertGen.Models.BaseV2" Version="{version}" />
                    <PackageReference Include="AlbertGen.Training.Plots" Version="{version}" />
                    <PackageReference Include="AlbertGen.Extensions.AI" Version="{version}" />
                    <AdditionalFiles Include="tiny.json" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using AlbertGen;
                using AlbertGen.Extensions.AI;
                using AlbertGen.Models;
                using AlbertGen.Modeling;
                using AlbertGen.Training;
                using static TorchSharp.torch;

                Console.WriteLine($"base-v2 hidden {AlbertBaseV2.HiddenSize} heads {AlbertBaseV2.NumAttentionHeads}");
                using var model = new Tiny.ForMaskedLM();
                model.eval();
                using var ids = randint(0, Tiny.VocabSize, [1, 5], dtype: int64);
                using var output = model.forward(new AlbertInputs { InputIds = ids });
                Console.WriteLine($"logits {string.Join("x", output.Logits.shape)}");
                using (inference_mode())
                {
                    // Inference: the products run on oneDNN through libtorch's C entry points, which must resolve to the
                    // libtorch TorchSharp loaded (a second copy would abort the process).
                    using var longIds = randint(0, Tiny.VocabSize, [4, 64], dtype: int64);
                    using var longOutput = model.forward(new AlbertInputs { InputIds = longIds });
                    Console.WriteLine($"long logits {string.Join("x", longOutput.Logits.shape)}");
                }

                // The two add-on packages: a loss-curve plot, and the embeddings' Microsoft.Extensions.AI contract.
                var curve = new LossCurve();
                curve.Add(1, 2.0, 1e-3);
                curve.Add(2, 1.5, 1e-3);
                curve.Write("curve", "consumer", new PngLossCurvePlotter());
                Console.WriteLine($"plot {File.Exists(Path.Combine("curve", "loss_curve.png"))}");
                Console.WriteLine($"embedding generator {typeof(AlbertEmbeddingGenerator).GetInterfaces().Any(i => i.Name.StartsWith("IEmbeddingGenerator", StringComparison.Ordinal))}");

                [AlbertModel("tiny.json", Heads = AlbertHeads.MaskedLM)]
                static partial class Tiny;
                """);

            string printed = Run(app, "dotnet", "run", "-c", "Release");

            Assert.Contains("base-v2 hidden 768 heads 12", printed);
            Assert.Contains("logits 1x5x1000", printed);
            Assert.Contains("long logits 4x64x1000", printed);
            Assert.Contains("plot True", printed);
            Assert.Contains("embedding generator True", printed);

            // A config the runtime cannot run is a build error with its id, pointing into the JSON.
            string config = File.ReadAllText(Path.Combine(app, "tiny.json")).Replace("\"hidden_size\": 32", "\"hidden_size\": 30", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(app, "tiny.json"), config);
            string failed = Run(app, expectSuccess: false, "dotnet", "build", "-c", "Release");
            Assert.Matches(@"tiny\.json\(\d+,\d+\): error ALBG006", failed);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The package ids a .nupkg depends on, sorted.</summary>
    private static string[] Dependencies(string package)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        ZipArchiveEntry nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream stream = nuspec.Open();
        XDocument document = XDocument.Load(stream);
        return [.. document.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).Distinct().Order(StringComparer.Ordinal)];
    }

    private static string Run(string directory, string file, params string[] args) => Run(directory, expectSuccess: true, file, args);

    private static string Run(string directory, bool expectSuccess, string file, params string[] args)
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
}
