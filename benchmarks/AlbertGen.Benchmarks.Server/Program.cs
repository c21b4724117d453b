using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AlbertGen.Server;
using AlbertGen.Server.Engine;
using AlbertGen.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlbertGen.Benchmarks.Server;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/AlbertGen.Benchmarks.Server -- [--seconds 8] [--models default,anchor] [--max-batch-padding 0.25]</c>:
/// single-text <c>POST /embed</c> against a server on a loopback socket at concurrency 1, 8 and 64, against the same texts
/// one by one through the library, and the library's offline batched throughput. Prints a markdown table.
/// </summary>
internal static class Program
{
    private static readonly int[] Concurrency = [1, 8, 64];

    private static async Task<int> Main(string[] args)
    {
        double seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(a => double.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(8);
        double padding = args.SkipWhile(a => a != "--max-batch-padding").Skip(1).Select(a => double.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(new AlbertServerOptions { ModelDirectory = "." }.MaxBatchPadding);
        string[] models = args.SkipWhile(a => a != "--models").Skip(1).Select(a => a.Split(',')).FirstOrDefault(["default", "anchor"]);
        string[] texts = [.. File.ReadLines(BenchmarkModels.Corpus).Where(l => l.Length > 20 && !l.EndsWith(':')).Take(2048)];
        Console.WriteLine($"CPU: {CpuModel()}; {Environment.ProcessorCount} cores; load average at start {LoadAverage()}; {seconds} s per measurement; max batch padding {padding}");
        Console.WriteLine();
        Console.WriteLine("| model | client | req/s | p50 ms | p99 ms | vs library one by one |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (string model in models)
        {
            string directory = model == "anchor" ? BenchmarkModels.AnchorWithRealVocabulary() : BenchmarkModels.Default;
            await MeasureAsync(model, directory, texts, TimeSpan.FromSeconds(seconds), padding);
        }

        Console.WriteLine();
        Console.WriteLine($"load average at end {LoadAverage()}");
        return 0;
    }

    private static async Task MeasureAsync(string name, string directory, string[] texts, TimeSpan duration, double padding)
    {
        double single;
        using (SentenceEmbeddingGenerator library = SentenceEmbeddingGenerator.FromPretrained(directory, new SentenceEmbeddingOptions { Normalize = true }, new PipelineOptions { BatchSize = 64 }))
        {
            library.Embed(texts[0]);
            Stats alone = Run(duration, 1, (i, _) => { library.Embed(texts[i % texts.Length]); return Task.CompletedTask; }).GetAwaiter().GetResult();
            single = alone.PerSecond;
            Print(name, "library, one text at a time", alone, single);
            Stats batched = Run(duration, 1, (i, _) => { library.Embed([.. Enumerable.Range(i * 64, 64).Select(j => texts[j % texts.Length])]); return Task.CompletedTask; }).GetAwaiter().GetResult();
            Print(name, "library, offline batches of 64", batched with { PerSecond = batched.PerSecond * 64, P50 = double.NaN, P99 = double.NaN }, single);
        }

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAlbertServer(new AlbertServerOptions { ModelDirectory = directory, MaxBatchPadding = padding });
        await using WebApplication app = builder.Build();
        app.MapAlbertEndpoints();
        await app.StartAsync();
        await app.Services.GetRequiredService<AlbertModelHost>().Ready;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(app.Urls.First()) };
        foreach (int clients in Concurrency)
        {
            Stats stats = await Run(duration, clients, async (i, _) =>
            {
                string body = JsonSerializer.Serialize(new { inputs = texts[i % texts.Length] });
                using HttpResponseMessage response = await http.PostAsync("/embed", new StringContent(body, Encoding.UTF8, "application/json"));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"/embed answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }

                await response.Content.ReadAsByteArrayAsync();
            });
            Print(name, $"server, {clients} concurrent", stats, single);
        }

        await app.StopAsync();
    }

    private sealed record Stats(double PerSecond, double P50, double P99);

    /// <summary>Runs <paramref name="clients"/> loops for <paramref name="duration"/> (after a short warm-up) and times every call.</summary>
    private static async Task<Stats> Run(TimeSpan duration, int clients, Func<int, int, Task> call)
    {
        int next = 0;
        var latencies = new List<double>[clients];
        async Task Loop(int client, TimeSpan length, List<double> into)
        {
            var until = Stopwatch.StartNew();
            while (until.Elapsed < length)
            {
                long start = Stopwatch.GetTimestamp();
                await call(Interlocked.Increment(ref next), client);
                into.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => Loop(c, TimeSpan.FromSeconds(1), []))));
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => Loop(c, duration, latencies[c] = []))));
        double elapsed = clock.Elapsed.TotalSeconds;
        double[] all = [.. latencies.SelectMany(l => l).Order()];
        return new Stats(all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static void Print(string model, string client, Stats stats, double single) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {model} | {client} | {stats.PerSecond:0} | {Ms(stats.P50)} | {Ms(stats.P99)} | {stats.PerSecond / single:0.00}× |"));

    private static string Ms(double value) => double.IsNaN(value) ? "–" : value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
}
