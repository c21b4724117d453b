using System.IO.Compression;
using AlbertGen.Build;

namespace AlbertGen.Packaging.Tests;

/// <summary>
/// The packages work for fresh consumers: from the packed feed (third-party packages from the usual registry), a console
/// app with its own typed model, a model package and a CPU backend; an ASP.NET Core app hosting the server's routes; an
/// <c>IEmbeddingGenerator</c> consumer; and the <c>albertgen</c> tool installed with <c>dotnet tool install</c>.
/// </summary>
[Trait("Category", "Slow")]
[Collection(PackedFeedCollection.Name)]
public sealed class ConsumerProjectTests(PackedFeed feed)
{
    private static readonly string[] Libraries = [.. PackedFeed.Packages.Where(p => p != "AlbertGen.Cli")];

    [Fact]
    public void Library_packages_bring_torchsharp_but_no_backend_and_only_stable_dependencies()
    {
        foreach (string id in Libraries)
        {
            (string Id, string Version)[] dependencies = PackedFeed.Dependencies(feed.Package(id));
            Assert.DoesNotContain(dependencies, d => d.Id.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
            Assert.All(dependencies, d => Assert.False(d.Version.Contains('-', StringComparison.Ordinal), $"{id} depends on the prerelease {d.Id} {d.Version}"));
        }

        // The core package's others: the tokenizer, and the readers of Flax (MessagePack) and TensorFlow (PureHDF)
        // checkpoints and of the zip .bin storages' checksums (System.IO.Hashing), and the managed kernels' element-wise
        // primitives (System.Numerics.Tensors).
        Assert.Equal(
            ["MessagePack", "Microsoft.ML.Tokenizers", "PureHDF", "System.IO.Hashing", "System.Numerics.Tensors", "TorchSharp"],
            PackedFeed.Dependencies(feed.Package("AlbertGen")).Select(d => d.Id));
        Assert.Contains("ScottPlot", PackedFeed.Dependencies(feed.Package("AlbertGen.Training.Plots")).Select(d => d.Id));
        Assert.Contains("Microsoft.Extensions.AI.Abstractions", PackedFeed.Dependencies(feed.Package("AlbertGen.Extensions.AI")).Select(d => d.Id));
        Assert.Contains("prometheus-net", PackedFeed.Dependencies(feed.Package("AlbertGen.Server")).Select(d => d.Id));

        // The load fix travels with the core package, and the tool carries the Linux CPU backend, already patched.
        using (ZipArchive core = ZipFile.OpenRead(feed.Package("AlbertGen")))
        {
            Assert.Contains(core.Entries, e => e.FullName == "buildTransitive/ElfVersionNeedPatcher.cs");
        }

        using ZipArchive tool = ZipFile.OpenRead(feed.Package("AlbertGen.Cli"));
        Assert.Contains(tool.Entries, e => e.FullName.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal));
        ZipArchiveEntry native = tool.Entries.Single(e => e.FullName.EndsWith("/libLibTorchSharp.so", StringComparison.Ordinal));
        using var copy = new MemoryStream();
        using (Stream stream = native.Open())
        {
            stream.CopyTo(copy);
        }

        Assert.Equal(ElfPatchVerdict.AlreadyWeak,
            ElfVersionNeedPatcher.Analyze(copy.ToArray(), "libstdc++.so.6", "GLIBCXX_3.4.32", new HashSet<string> { "_ZSt21ios_base_library_initv" }).Verdict);
    }

    [Fact]
    public void A_console_app_with_its_own_typed_model_a_model_package_and_a_cpu_backend_builds_and_runs()
    {
        string app = Consumer("typed", "Microsoft.NET.Sdk", ["AlbertGen", "AlbertGen.Models.BaseV2", "AlbertGen.Training.Plots"], """
                <AdditionalFiles Include="tiny.json" />
            """);
        File.Copy(Path.Combine(PackedFeed.SharedFixtures, "fixtures", "models", "tiny", "config.json"), Path.Combine(app, "tiny.json"));
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using AlbertGen;
            using AlbertGen.Models;
            using AlbertGen.Modeling;
            using AlbertGen.Training;
            using TorchSharp;
            using static TorchSharp.torch;

            Console.WriteLine($"base-v2 hidden {AlbertBaseV2.HiddenSize} heads {AlbertBaseV2.NumAttentionHeads}");
            using var model = new Tiny.ForMaskedLM();
            model.to(AlbertDevice.Parse("auto"));
            model.eval();
            using var ids = randint(0, Tiny.VocabSize, [1, 5], dtype: int64);
            using var output = model.forward(new AlbertInputs { InputIds = ids });
            Console.WriteLine($"logits {string.Join("x", output.Logits.shape)} on {AlbertDevice.Name(output.Logits.device)}");
            using (inference_mode())
            {
                // Inference: the products run on oneDNN through libtorch's C entry points, which must resolve to the
                // libtorch TorchSharp loaded (a second copy would abort the process).
                using var longIds = randint(0, Tiny.VocabSize, [4, 64], dtype: int64);
                using var longOutput = model.forward(new AlbertInputs { InputIds = longIds });
                Console.WriteLine($"long logits {string.Join("x", longOutput.Logits.shape)}");
            }

            var curve = new LossCurve();
            curve.Add(1, 2.0, 1e-3);
            curve.Add(2, 1.5, 1e-3);
            curve.Write("curve", "consumer", new PngLossCurvePlotter());
            Console.WriteLine($"plot {File.Exists(Path.Combine("curve", "loss_curve.png"))}");

            [AlbertModel("tiny.json", Heads = AlbertHeads.MaskedLM)]
            static partial class Tiny;
            """);

        string printed = PackedFeed.Run(app, "dotnet", "run", "-c", "Release");

        Assert.Contains("base-v2 hidden 768 heads 12", printed);
        Assert.Contains("logits 1x5x1000 on cpu", printed);
        Assert.Contains("long logits 4x64x1000", printed);
        Assert.Contains("plot True", printed);

        // A config the runtime cannot run is a build error with its id, pointing into the JSON.
        string config = File.ReadAllText(Path.Combine(app, "tiny.json")).Replace("\"hidden_size\": 32", "\"hidden_size\": 30", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(app, "tiny.json"), config);
        string failed = PackedFeed.Run(app, expectSuccess: false, "dotnet", "build", "-c", "Release");
        Assert.Matches(@"tiny\.json\(\d+,\d+\): error ALBG006", failed);
    }

    [Fact]
    public void An_aspnet_core_app_hosts_the_albert_routes()
    {
        string app = Consumer("web", "Microsoft.NET.Sdk.Web", ["AlbertGen.Server"]);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using System.Net.Http.Json;
            using AlbertGen.Server;

            var builder = WebApplication.CreateBuilder(args);
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Services.AddAlbertServer(new AlbertServerOptions { ModelDirectory = args[0] });
            var app = builder.Build();
            app.MapAlbertEndpoints();
            await app.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            for (int i = 0; i < 600 && !(await http.GetAsync("/health")).IsSuccessStatusCode; i++)
            {
                await Task.Delay(100);
            }

            using var response = await http.PostAsJsonAsync("/embed", new { inputs = "the king is here" });
            float[][] vectors = (await response.Content.ReadFromJsonAsync<float[][]>())!;
            Console.WriteLine($"embed {(int)response.StatusCode} {vectors.Length}x{vectors[0].Length}");
            string metrics = await http.GetStringAsync("/metrics");
            Console.WriteLine($"metrics {metrics.Contains("te_request_count{", StringComparison.Ordinal)}");
            await app.StopAsync();
            """);

        string printed = PackedFeed.Run(app, "dotnet", "run", "-c", "Release", "--", feed.TinyModel());

        Assert.Contains("embed 200 1x32", printed);
        Assert.Contains("metrics True", printed);
    }

    [Fact]
    public void An_embedding_generator_consumer_of_the_extensions_package_builds_and_runs()
    {
        string app = Consumer("embeddings", "Microsoft.NET.Sdk", ["AlbertGen.Extensions.AI"]);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using AlbertGen;
            using AlbertGen.Extensions.AI;
            using AlbertGen.Tasks;
            using Microsoft.Extensions.AI;

            using SentenceEmbeddingGenerator pipeline = SentenceEmbeddingGenerator.FromPretrained(args[0], options: new PipelineOptions { Device = AlbertDevice.Parse("auto") });
            using IEmbeddingGenerator<string, Embedding<float>> generator = pipeline.AsEmbeddingGenerator("tiny");
            GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(["the king is here", "a dog ran by"]);
            Console.WriteLine($"embeddings {embeddings.Count}x{embeddings[0].Vector.Length} from {generator.GetService<EmbeddingGeneratorMetadata>()?.ProviderName}");
            """);

        string printed = PackedFeed.Run(app, "dotnet", "run", "-c", "Release", "--", feed.TinyModel());

        Assert.Contains("embeddings 2x32 from AlbertGen", printed);
    }

    [Fact]
    public void The_tool_installs_from_the_feed_and_fills_a_mask()
    {
        string tools = Path.Combine(feed.Work, "tools");
        PackedFeed.Run(feed.Work, "dotnet", "tool", "install", "AlbertGen.Cli", "--version", feed.Version, "--tool-path", tools, "--configfile", feed.NuGetConfig);

        string printed = PackedFeed.Run(feed.Work, Path.Combine(tools, "albertgen"), "fill-mask", "--top-k", "3", "But, soft! what light through yonder [MASK] breaks?");

        Assert.Equal(3, printed.Trim().Split('\n').Length);
        Assert.Contains("but, soft! what light through yonder", printed); // the default model lowercases
        string info = PackedFeed.Run(feed.Work, Path.Combine(tools, "albertgen"), "info", "--device", "auto");
        Assert.Contains("device       cpu; CUDA not available", info);
    }

    /// <summary>A consumer folder with a project of <paramref name="sdk"/> referencing <paramref name="packages"/> from the feed and a CPU backend.</summary>
    private string Consumer(string name, string sdk, string[] packages, string items = "")
    {
        string app = feed.NewConsumer(name);
        string references = string.Concat(packages.Select(p => $"""    <PackageReference Include="{p}" Version="{feed.Version}" />{"\n"}"""));
        File.WriteAllText(Path.Combine(app, name + ".csproj"), $"""
            <Project Sdk="{sdk}">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
            {references}    <PackageReference Include="libtorch-cpu-linux-x64" Version="2.10.0" />
            {items}
              </ItemGroup>
            </Project>
            """);
        return app;
    }
}
