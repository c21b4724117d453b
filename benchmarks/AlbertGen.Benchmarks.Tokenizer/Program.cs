// Tokens per second of the ALBERT tokenizer (slow and fast) against raw Microsoft.ML.Tokenizers, on tinyshakespeare.
// Usage: dotnet run -c Release --project benchmarks/AlbertGen.Benchmarks.Tokenizer [-- <spiece.model> <corpus.txt>]
using System.Diagnostics;
using AlbertGen.Tokenization;
using Microsoft.ML.Tokenizers;

string shared = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "shared"));
string modelPath = args.Length > 0 ? args[0] : Path.Combine(shared, "fixtures", "tokenizer", "spiece.model");
string corpusPath = args.Length > 1 ? args[1] : Path.Combine(shared, "corpora", "tinyshakespeare.txt");

string corpus = File.ReadAllText(corpusPath);
string[] lines = corpus.Split('\n').Where(l => l.Length > 0).ToArray();
string[] paragraphs = corpus.Split("\n\n").Where(p => p.Length > 0).ToArray();

SentencePieceTokenizer raw = RawModel.Load(modelPath);
AlbertTokenizer albert = AlbertTokenizer.FromFile(modelPath);
AlbertTokenizer fast = AlbertTokenizer.FromFile(modelPath, new AlbertTokenizerOptions { Kind = TokenizerKind.Fast });

Console.WriteLine($"corpus {corpusPath}: {corpus.Length:N0} chars, {lines.Length:N0} lines, {paragraphs.Length:N0} paragraphs; {Environment.ProcessorCount} cores");
Console.WriteLine("tokens/s = tokens produced (no special tokens) / wall time; best of 5 runs after a warm-up run");
Console.WriteLine();

foreach ((string name, string[] texts) in new[] { ("lines", lines), ("paragraphs", paragraphs) })
{
    Console.WriteLine($"{name}:");
    Report("raw ML.Tokenizers EncodeToIds, 1 thread", () => texts.Sum(t => raw.EncodeToIds(t, false, false).Count));
    Report("raw ML.Tokenizers EncodeToIds, parallel", () =>
    {
        int total = 0;
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, texts.Length, 256), range =>
        {
            int local = 0;
            for (int i = range.Item1; i < range.Item2; i++)
            {
                local += raw.EncodeToIds(texts[i], false, false).Count;
            }

            Interlocked.Add(ref total, local);
        });
        return total;
    });
    Report("AlbertTokenizer EncodeToIds, 1 thread", () => texts.Sum(t => albert.EncodeToIds(t, addSpecialTokens: false).Length));
    Report("AlbertTokenizer Encode (tokens, offsets, masks), 1 thread", () => texts.Sum(t => albert.Encode(t).Length - 2));
    Report("AlbertTokenizer EncodeBatch, parallel", () => albert.EncodeBatch(texts).Sum(e => e.Length - 2));
    Report("fast AlbertTokenizer EncodeToIds, 1 thread", () => texts.Sum(t => fast.EncodeToIds(t, addSpecialTokens: false).Length));
    Report("fast AlbertTokenizer Encode (tokens, offsets, masks), 1 thread", () => texts.Sum(t => fast.Encode(t).Length - 2));
    Report("fast AlbertTokenizer EncodeBatch, parallel", () => fast.EncodeBatch(texts).Sum(e => e.Length - 2));
    Console.WriteLine();
}

// Slow against fast on one thread, interleaved so that load from other processes falls on both alike: the median
// over 9 rounds of process CPU time per run.
Console.WriteLine("slow vs fast, interleaved (median of 9 rounds, M tokens per CPU-second):");
foreach ((string name, string[] texts) in new[] { ("lines", lines), ("paragraphs", paragraphs) })
{
    foreach ((string what, Func<AlbertTokenizer, string, int> encode) in new (string, Func<AlbertTokenizer, string, int>)[]
    {
        ("EncodeToIds", (t, text) => t.EncodeToIds(text, addSpecialTokens: false).Length),
        ("Encode", (t, text) => t.Encode(text).Length - 2),
    })
    {
        var slowRates = new List<double>();
        var fastRates = new List<double>();
        for (int round = 0; round < 9; round++)
        {
            slowRates.Add(CpuRate(() => texts.Sum(text => encode(albert, text))));
            fastRates.Add(CpuRate(() => texts.Sum(text => encode(fast, text))));
        }

        double slowMedian = slowRates.Order().ElementAt(4), fastMedian = fastRates.Order().ElementAt(4);
        Console.WriteLine($"  {name,-10} {what,-12} slow {slowMedian:F2}   fast {fastMedian:F2}   fast/slow {fastMedian / slowMedian:F2}");
    }
}

static double CpuRate(Func<int> run)
{
    using Process process = Process.GetCurrentProcess();
    TimeSpan cpu = process.TotalProcessorTime;
    int tokens = run();
    process.Refresh();
    return tokens / (process.TotalProcessorTime - cpu).TotalSeconds / 1e6;
}

static void Report(string name, Func<int> run)
{
    // Wall time for throughput; process CPU time as well, which a loaded machine disturbs less
    // (for one thread it is the work done; for parallel runs it is the sum over threads).
    using Process process = Process.GetCurrentProcess();
    var stopwatch = Stopwatch.StartNew();
    int tokens = run(); // warm-up (JIT, caches); reported as the first-run figure
    double first = stopwatch.Elapsed.TotalSeconds;
    double bestWall = double.MaxValue, bestCpu = double.MaxValue;
    for (int i = 0; i < 5; i++)
    {
        GC.Collect();
        process.Refresh();
        TimeSpan cpu = process.TotalProcessorTime;
        stopwatch.Restart();
        run();
        bestWall = Math.Min(bestWall, stopwatch.Elapsed.TotalSeconds);
        process.Refresh();
        bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu).TotalSeconds);
    }

    Console.WriteLine(
        $"  {name,-58} {tokens / bestWall / 1e6,6:F2} M tokens/s   (per CPU-second {tokens / bestCpu / 1e6:F2} M; first run {tokens / first / 1e6:F2} M/s; {tokens:N0} tokens)");
}
