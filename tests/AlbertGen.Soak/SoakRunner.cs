// Shared source: compiled into the soak console (AlbertGen.Soak) and into AlbertGen.Tests (the short soak).
using System.Diagnostics;
using AlbertGen.Modeling;
using AlbertGen.Tokenization;
using AlbertGen.Tasks;
using static TorchSharp.torch;

namespace AlbertGen.Soak;

/// <summary>Memory figures of one soak loop: at the end of warm-up and at the end of the run, each after a full collection.</summary>
/// <param name="Name">The loop.</param>
/// <param name="Iterations">Calls made after warm-up.</param>
/// <param name="RssWarmBytes">Resident set size (VmRSS) after warm-up.</param>
/// <param name="RssEndBytes">Resident set size at the end.</param>
/// <param name="RssPeakBytes">Largest resident set size sampled during the run.</param>
/// <param name="ManagedWarmBytes">Managed heap (<c>GC.GetTotalMemory(true)</c>) after warm-up.</param>
/// <param name="ManagedEndBytes">Managed heap at the end.</param>
/// <param name="TensorsWarm">Live TorchSharp tensors (<c>Tensor.TotalCount</c>) after warm-up.</param>
/// <param name="TensorsEnd">Live tensors at the end.</param>
/// <param name="Elapsed">Time of the measured part.</param>
public sealed record SoakFigures(
    string Name, int Iterations, long RssWarmBytes, long RssEndBytes, long RssPeakBytes, long ManagedWarmBytes, long ManagedEndBytes,
    long TensorsWarm, long TensorsEnd, TimeSpan Elapsed)
{
    /// <summary>RSS growth from warm-up to the end, as a fraction of the warm RSS.</summary>
    public double RssGrowth => (RssEndBytes - RssWarmBytes) / (double)RssWarmBytes;

    /// <summary>One line for the report.</summary>
    public override string ToString() =>
        $"{Name,-10} {Iterations,8} calls  {Elapsed.TotalSeconds,7:F1} s  RSS {Mb(RssWarmBytes)} -> {Mb(RssEndBytes)} MB ({RssGrowth * 100:+0.00;-0.00} %, peak {Mb(RssPeakBytes)})  " +
        $"managed {Mb(ManagedWarmBytes)} -> {Mb(ManagedEndBytes)} MB  tensors {TensorsWarm} -> {TensorsEnd}";

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The soak loops: repeated inference through the public API, with memory measured after warm-up and at the end.</summary>
public static class SoakRunner
{
    /// <summary>Texts of varied length for the tokenizer and the tiny model (Shakespeare lines joined in 1 to 12 line runs).</summary>
    /// <param name="corpusPath">A text file, e.g. <c>shared/corpora/tinyshakespeare.txt</c>.</param>
    /// <param name="count">How many texts.</param>
    public static string[] Texts(string corpusPath, int count)
    {
        string[] lines = File.ReadLines(corpusPath).Where(l => l.Length > 0).Take(count * 6).ToArray();
        var texts = new string[count];
        for (int i = 0, at = 0; i < count; i++)
        {
            int take = 1 + (i % 12);
            texts[i] = string.Join(" ", lines.Skip(at % lines.Length).Take(take));
            at += take;
        }

        return texts;
    }

    /// <summary>Resident set size of this process (VmRSS of /proc/self/status), in bytes; 0 where there is no /proc.</summary>
    public static long ReadRssBytes()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path))
        {
            return 0;
        }

        foreach (string line in File.ReadLines(path))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    /// <summary>Runs <paramref name="step"/> <paramref name="warmup"/> times, measures, runs it <paramref name="iterations"/> times, measures.</summary>
    /// <param name="name">Name for the report.</param>
    /// <param name="warmup">Calls before the first measurement.</param>
    /// <param name="iterations">Calls measured.</param>
    /// <param name="step">One call; gets the call number.</param>
    /// <param name="progress">Receives a line at every tenth of the run (RSS and tensor count), or null.</param>
    public static SoakFigures Run(string name, int warmup, int iterations, Action<int> step, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        for (int i = 0; i < warmup; i++)
        {
            step(i);
        }

        (long rssWarm, long managedWarm, long tensorsWarm) = Measure();
        long peak = rssWarm;
        var clock = Stopwatch.StartNew();
        int tenth = Math.Max(1, iterations / 10);
        for (int i = 0; i < iterations; i++)
        {
            step(warmup + i);
            if ((i + 1) % tenth == 0)
            {
                long rss = ReadRssBytes();
                peak = Math.Max(peak, rss);
                progress?.Invoke($"  {name} {i + 1,8}/{iterations}: RSS {rss / 1048576.0:F1} MB, live tensors {Tensor.TotalCount}");
            }
        }

        clock.Stop();
        (long rssEnd, long managedEnd, long tensorsEnd) = Measure();
        return new SoakFigures(name, iterations, rssWarm, rssEnd, Math.Max(peak, rssEnd), managedWarm, managedEnd, tensorsWarm, tensorsEnd, clock.Elapsed);
    }

    /// <summary>
    /// One fill-mask inference through the task API (<see cref="FillMaskPipeline"/>): the middle word of a line is replaced
    /// (at most the third) by <c>[MASK]</c>, and the top 5 candidates are decoded.
    /// </summary>
    public static Action<int> FillMaskStep(FillMaskPipeline pipeline, string[] texts)
    {
        string[] masked = texts.Select(text =>
        {
            string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            words[Math.Min(words.Length / 2, 2)] = AlbertTokenizer.MaskToken; // early: the fixture vocabulary splits words finely
            return string.Join(' ', words);
        }).ToArray();
        return i => _ = pipeline.Predict(masked[i % masked.Length], topK: 5);
    }

    /// <summary>
    /// One inference of a model without a tokenizer: random ids, batch 1, <paramref name="minLength"/> to
    /// <paramref name="maxLength"/> tokens; calls 0 to <c>maxLength − minLength</c> go through every length once (warm-up).
    /// </summary>
    public static Action<int> RandomIdsStep(AlbertModel model, int minLength = 16, int maxLength = 128)
    {
        var random = new Random(1234);
        return i =>
        {
            // The first (maxLength − minLength + 1) calls visit every length once, longest first, so whatever libtorch
            // creates on a shape's first use (kernels, workspaces) exists before the first measurement.
            int length = i <= maxLength - minLength ? maxLength - i : minLength + random.Next(maxLength - minLength + 1);
            using var scope = NewDisposeScope();
            using var noGrad = inference_mode();
            Tensor ids = randint(5, model.Config.VocabSize, [1, length], dtype: ScalarType.Int64);
            using AlbertModelOutput output = model.forward(new AlbertInputs { InputIds = ids });
            _ = output.LastHiddenState[0, 0, 0].item<float>();
        };
    }

    /// <summary>Tokenizer only: encode with offsets (pairs every other call, truncated), ids-only encode, decode.</summary>
    public static Action<int> TokenizerStep(AlbertTokenizer tokenizer, string[] texts)
    {
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 128, Padding = PaddingStrategy.MaxLength };
        return i =>
        {
            string text = texts[i % texts.Length];
            AlbertEncoding encoding = i % 2 == 0 ? tokenizer.Encode(text, options) : tokenizer.Encode(text, texts[(i + 7) % texts.Length], options);
            int[] ids = tokenizer.EncodeToIds(text);
            _ = tokenizer.Decode(ids, skipSpecialTokens: true);
            _ = encoding.Offsets[encoding.Length - 1];
        };
    }

    private static (long Rss, long Managed, long Tensors) Measure()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        long managed = GC.GetTotalMemory(forceFullCollection: true);

        // The GC keeps freed regions committed for reuse and gives them back to the system lazily, so the RSS of a loop that
        // makes much short-lived garbage (the tokenizer) wanders by several percent with the GC's timing. An aggressive
        // collection returns what is free, so RSS shows what is still held, which is what a leak would grow.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return (ReadRssBytes(), managed, Tensor.TotalCount);
    }
}
