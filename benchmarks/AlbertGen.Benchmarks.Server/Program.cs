using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.Intrinsics.X86;
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
/// <c>dotnet run -c Release --project benchmarks/AlbertGen.Benchmarks.Server -- [--lines 3000] [--clients 64] [--single 200]
/// [--rounds 1] [--models default,anchor] [--max-batch-padding 0.25] [--prepare]</c>: a fixed set of corpus lines as single-text <c>POST /embed</c>
/// requests from concurrent clients against a server on a loopback socket, against the library's batched stages
/// (<see cref="SentenceEmbeddingGenerator.Embed(IReadOnlyList{string}, CancellationToken)"/>) on the same lines in the same
/// process, and the server's per-request latency split (tokenisation, queue, forward, post-processing) from its metrics.
/// <c>--prepare</c> only makes the anchor's folder and prints it.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Contains("--prepare"))
        {
            Console.WriteLine(BenchmarkModels.AnchorWithRealVocabulary());
            return 0;
        }

        int lineCount = IntOption(args, "--lines", 3000);
        int clients = IntOption(args, "--clients", 64);
        int singleCount = IntOption(args, "--single", 200);
        int rounds = IntOption(args, "--rounds", 1);
        double padding = args.SkipWhile(a => a != "--max-batch-padding").Skip(1).Select(a => double.Parse(a, CultureInfo.InvariantCulture))
            .FirstOrDefault(new AlbertServerOptions { ModelDirectory = "." }.MaxBatchPadding);
        string[] models = args.SkipWhile(a => a != "--models").Skip(1).Select(a => a.Split(',')).FirstOrDefault(["default", "anchor"]);
        string[] lines = [.. File.ReadLines(BenchmarkModels.Corpus).Where(l => l.Length > 20 && !l.EndsWith(':')).Take(lineCount)];
        if (lines.Length < lineCount)
        {
            throw new InvalidOperationException($"The corpus has only {lines.Length} lines longer than 20 characters; asked for {lineCount}.");
        }

        Console.WriteLine($"CPU: {CpuModel()}; {Environment.ProcessorCount} cores; JIT sees AVX-512: {Avx512F.IsSupported}, AVX2: {Avx2.IsSupported}; {Simulation()}; load average at start {LoadAverage()}");
        Console.WriteLine($"{lines.Length} lines of {Path.GetFileName(BenchmarkModels.Corpus)} (longer than 20 characters, speaker lines left out); "
            + $"server: single-text /embed requests from {clients} concurrent clients; library: Embed(lines) in batches of {clients}; {rounds} round(s) of library, server, library; --max-batch-padding {padding}");
        var results = new List<ModelResult>();
        foreach (string model in models)
        {
            string directory = model == "anchor" ? BenchmarkModels.AnchorWithRealVocabulary() : BenchmarkModels.Default;
            results.Add(await MeasureAsync(model, directory, lines, clients, singleCount, rounds, padding));
        }

        Console.WriteLine();
        Console.WriteLine($"| model | pass | lines/s | server vs library |");
        Console.WriteLine("| --- | --- | ---: | ---: |");
        foreach (ModelResult result in results)
        {
            for (int r = 0; r < result.Library.Count; r++)
            {
                Console.WriteLine(Invariant($"| {result.Model} | library, batches of {clients} (round {r + 1}: mean of the passes before and after) | {result.Library[r]:0.0} | |"));
                Console.WriteLine(Invariant($"| {result.Model} | server, {clients} clients (round {r + 1}) | {result.Server[r]:0.0} | **{result.Server[r] / result.Library[r]:0.00}×** |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("Latency per request, ms: client p50 / mean, then the server's means of each stage (its metrics' sums over its counts)");
        Console.WriteLine();
        Console.WriteLine("| model | clients | p50 | mean | server total | tokenisation | queue | forward | post-processing | rows per pass | ms per pass | batcher busy |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (ModelResult result in results)
        {
            foreach (Split split in result.Splits)
            {
                Console.WriteLine(Invariant(
                    $"| {result.Model} | {split.Clients} | {split.P50:0.00} | {split.Mean:0.00} | {split.Stages.Total:0.00} | {split.Stages.Tokenization:0.000} | {split.Stages.Queue:0.00} | {split.Stages.Forward:0.00} | {split.Stages.Postprocessing:0.000} | {split.Stages.RowsPerPass:0.0} | {split.Stages.PassMs:0.00} | {split.Stages.PassSeconds / split.Seconds:P0} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"load average at end {LoadAverage()}");
        return 0;
    }

    private static async Task<ModelResult> MeasureAsync(string name, string directory, string[] lines, int clients, int singleCount, int rounds, double padding)
    {
        // The library as an application would batch the same lines: normalised as /embed answers, batches of the clients' count.
        using var library = SentenceEmbeddingGenerator.FromPretrained(directory, new SentenceEmbeddingOptions { Normalize = true }, new PipelineOptions { BatchSize = clients });
        library.Embed(lines.Take(clients).ToArray());
        Console.WriteLine($"{name}: {directory}; the library's kernels: {string.Join(", ", library.Session.Products.Select(p => p.Kernel).Distinct())}; fused layers: {library.Session.FusedLayers ?? "none"}");

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAlbertServer(new AlbertServerOptions { ModelDirectory = directory, MaxBatchPadding = padding });
        await using WebApplication app = builder.Build();
        app.MapAlbertEndpoints();
        await app.StartAsync();
        await app.Services.GetRequiredService<AlbertModelHost>().Ready;
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 }) { BaseAddress = new Uri(app.Urls.First()) };
        await SendAllAsync(http, lines.Take(clients * 2).ToArray(), clients); // warm: connections, JIT, first passes

        var splits = new List<Split>
        {
            await SplitAsync(http, lines.Take(singleCount).ToArray(), 1),
        };
        // Library, server, library, server, …, library: each server pass is compared with the library passes on either side
        // of it, so a load that drifts during the run (other work on the machine) weighs on both sides alike.
        double LibraryPass()
        {
            long start = Stopwatch.GetTimestamp();
            library.Embed(lines);
            return lines.Length / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        var libraryRates = new List<double>();
        var serverRates = new List<double>();
        double previous = LibraryPass();
        for (int round = 0; round < rounds; round++)
        {
            Split split = await SplitAsync(http, lines, clients);
            double next = LibraryPass();
            libraryRates.Add((previous + next) / 2);
            serverRates.Add(lines.Length / split.Seconds);
            splits.Add(split);
            Console.WriteLine(Invariant($"{name} round {round + 1}: library {previous:0.0} and {next:0.0} lines/s around the server's {serverRates[^1]:0.0} lines/s"));
            previous = next;
        }

        await app.StopAsync();
        return new ModelResult(name, libraryRates, serverRates, splits);
    }

    /// <summary>Sends <paramref name="lines"/> one request each from <paramref name="clients"/> clients, and splits the latency.</summary>
    private static async Task<Split> SplitAsync(HttpClient http, string[] lines, int clients)
    {
        StageTimes before = await StageTimes.ReadAsync(http);
        long start = Stopwatch.GetTimestamp();
        double[] latencies = await SendAllAsync(http, lines, clients);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        StageTimes after = await StageTimes.ReadAsync(http);
        return new Split(clients, seconds, Percentile(latencies, 0.5), latencies.Average(), after.Minus(before));
    }

    /// <summary>Every line as one single-text <c>/embed</c> request, from <paramref name="clients"/> closed loops taking the next line; the latencies in ms, sorted.</summary>
    private static async Task<double[]> SendAllAsync(HttpClient http, string[] lines, int clients)
    {
        int next = -1;
        var latencies = new double[lines.Length];
        async Task Loop()
        {
            for (int i = Interlocked.Increment(ref next); i < lines.Length; i = Interlocked.Increment(ref next))
            {
                long start = Stopwatch.GetTimestamp();
                string body = JsonSerializer.Serialize(new { inputs = lines[i] });
                using HttpResponseMessage response = await http.PostAsync("/embed", new StringContent(body, Encoding.UTF8, "application/json"));
                await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"/embed answered {(int)response.StatusCode} for line {i}.");
                }

                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Loop)));
        Array.Sort(latencies);
        return latencies;
    }

    private sealed record ModelResult(string Model, List<double> Library, List<double> Server, List<Split> Splits);

    private sealed record Split(int Clients, double Seconds, double P50, double Mean, StageMeans Stages);

    /// <summary>Mean ms per request of each stage; the forward passes' mean rows and ms, and their total seconds.</summary>
    private sealed record StageMeans(double Total, double Tokenization, double Queue, double Forward, double Postprocessing, double RowsPerPass, double PassMs, double PassSeconds);

    /// <summary>The sums and counts of the server's per-request duration histograms, read from <c>GET /metrics</c>.</summary>
    private sealed record StageTimes(IReadOnlyDictionary<string, double> Values)
    {
        private static readonly string[] Histograms =
            ["te_request_duration", "te_request_tokenization_duration", "te_request_queue_duration", "te_request_inference_duration", "te_request_postprocessing_duration",
             "te_batch_next_size", "te_batch_inference_duration"];

        public static async Task<StageTimes> ReadAsync(HttpClient http)
        {
            string text = await http.GetStringAsync("/metrics");
            var values = Histograms.SelectMany(h => new[] { h + "_sum", h + "_count" }).ToDictionary(k => k, _ => 0.0);
            foreach (string line in text.Split('\n'))
            {
                int brace = line.IndexOf('{', StringComparison.Ordinal);
                string metric = brace < 0 ? line.Split(' ')[0] : line[..brace];
                if (values.ContainsKey(metric))
                {
                    values[metric] += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                }
            }

            return new StageTimes(values);
        }

        /// <summary>Mean ms per request of each stage between <paramref name="earlier"/> and this reading.</summary>
        public StageMeans Minus(StageTimes earlier)
        {
            double Sum(string histogram) => Values[histogram + "_sum"] - earlier.Values[histogram + "_sum"];
            double Mean(string histogram) => Sum(histogram) / (Values[histogram + "_count"] - earlier.Values[histogram + "_count"]);
            return new StageMeans(1000 * Mean(Histograms[0]), 1000 * Mean(Histograms[1]), 1000 * Mean(Histograms[2]), 1000 * Mean(Histograms[3]), 1000 * Mean(Histograms[4]),
                Mean(Histograms[5]), 1000 * Mean(Histograms[6]), Sum(Histograms[6]));
        }
    }

    private static int IntOption(string[] args, string name, int fallback) =>
        args.SkipWhile(a => a != name).Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(fallback);

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>The first CPU's model name, family and model number from <c>/proc/cpuinfo</c>.</summary>
    private static string CpuModel()
    {
        string[] first = [.. File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0)];
        string Field(string name) => first.FirstOrDefault(l => l.Split(':', 2)[0].Trim() == name)?.Split(':', 2)[1].Trim() ?? "?";
        return $"{Field("model name")} family {Field("cpu family")} model {Field("model")}";
    }

    /// <summary>
    /// How an AVX2-only CPU is simulated, if it is: the JIT's switches (.NET 10 reports AVX-512 under
    /// <c>DOTNET_EnableAVX512F=0</c> alone), the project's own kernel choice, and oneDNN's and MKL's instruction sets.
    /// </summary>
    private static string Simulation()
    {
        string[] variables = ["DOTNET_EnableAVX512F", "DOTNET_EnableAVX512", "ALBERTGEN_CPU_FEATURES", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS"];
        string[] set = [.. variables.Where(v => Environment.GetEnvironmentVariable(v) is not null).Select(v => $"{v}={Environment.GetEnvironmentVariable(v)}")];
        return set.Length == 0 ? "no CPU simulation" : "simulated with " + string.Join(" ", set);
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
}
