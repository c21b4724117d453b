using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>
/// A float32 section: AlbertGen's inference session against ONNX Runtime's float32 model of one anchor, at every shape,
/// with each shape's rate as a share of the machine's limits (libtorch's matrix-multiply peak measured alongside, the
/// managed FMA peak, and at 1×16 the weight bytes per pass against the memory bandwidth).
/// </summary>
internal static class Fp32Section
{
    /// <summary>Largest difference from ONNX Runtime's outputs that still compares the same computation.</summary>
    public const double OrtTolerance = 1e-4;

    /// <summary>What a section gives the rest of the run.</summary>
    /// <param name="Ratios">AlbertGen time / ORT time per shape label.</param>
    /// <param name="Hidden">AlbertGen's last hidden state per shape label (the bf16 section's reference).</param>
    /// <param name="WorstOrtDiff">Largest difference from ONNX Runtime's outputs.</param>
    public sealed record Result(IReadOnlyDictionary<string, double> Ratios, IReadOnlyDictionary<string, float[]> Hidden, double WorstOrtDiff);

    public static Result Run(BenchmarkSettings settings, AnchorModel anchor, MachineLimits limits, int inputSeed)
    {
        Console.WriteLine($"## float32: AlbertGen vs ONNX Runtime, {anchor.Title} (AlbertModel outputs, random ids, full masks)");
        Console.WriteLine();
        using AlbertGenEngine albert = AlbertGenEngine.Load(anchor.Directory, ScalarType.Float32, "AlbertGen fp32");
        using var ort = new OrtEngine(anchor.Onnx, Program.Threads);
        double bytesPerPass = WeightTraffic.BytesPerPass(anchor.Config, albert.Session.Products);
        Console.WriteLine($"- AlbertGen kernels: {WeightTraffic.KernelSummary(albert.Session.Products)}; fused layers: {albert.Session.FusedLayers ?? "none"}");
        Console.WriteLine($"- weight bytes read per pass (session's products × layer steps, + mapping and pooler): {bytesPerPass / (1 << 20):0.0} MiB");
        foreach (string warning in albert.Session.Warnings)
        {
            Console.WriteLine($"- warning: {warning}");
        }

        Console.WriteLine();
        Console.WriteLine("| B×S | runs | AlbertGen ms | ORT ms | ratio | AlbertGen GFLOP/s | % of torch.mm peak (GFLOP/s alongside) | % of FMA peak | ORT GFLOP/s | weights GB/s (% of bandwidth) | max abs diff hidden / pooler | load |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        var ratios = new Dictionary<string, double>(StringComparer.Ordinal);
        var hiddenStates = new Dictionary<string, float[]>(StringComparer.Ordinal);
        double worst = 0;
        foreach ((int b, int s) in Shapes.All)
        {
            BatchInputs batch = BatchInputs.Random(b, s, anchor.Config.VocabSize, inputSeed + b + s);
            using IPreparedRun a = albert.Prepare(batch);
            using IPreparedRun o = ort.Prepare(batch);
            (float[] ah, float[] ap) = a.RunAndRead();
            double estimate = Timing.Once(a.Run);
            (float[] oh, float[] op) = o.RunAndRead();
            hiddenStates[batch.Label] = ah;
            double hiddenDiff = Numbers.MaxAbsDiff(ah, oh), poolerDiff = Numbers.MaxAbsDiff(ap, op);
            worst = Math.Max(worst, Math.Max(hiddenDiff, poolerDiff));
            string diff = $"{hiddenDiff:0.0e+0} / {poolerDiff:0.0e+0}{(Math.Max(hiddenDiff, poolerDiff) > OrtTolerance ? " **DIFFERS**" : "")}";

            (int warmup, int runs) = Counts(settings, b, estimate);
            (double am, double om, double peak) = TimeWithPeak(a, o, warmup, runs, estimate, settings);
            double flops = Flops.AlbertModel(anchor.Config, b, s);
            ratios[batch.Label] = am / om;
            string traffic = b * s <= 16
                ? $"{bytesPerPass / (am * 1e6):0.0} ({Numbers.Percent(bytesPerPass / (am * 1e6), limits.Bandwidth.Limit)})"
                : "–";
            Console.WriteLine($"| {batch.Label} | {runs} | {am:0.00} | {om:0.00} | {am / om:0.00} | {Numbers.Gflops(flops, am):0.0} | {Numbers.Percent(Numbers.Gflops(flops, am), peak)} of {peak:0} "
                + $"| {Numbers.Percent(Numbers.Gflops(flops, am), limits.Fp32Peak)} | {Numbers.Gflops(flops, om):0.0} | {traffic} | {diff} | {Machine.LoadAverage()} |");
        }

        Console.WriteLine();
        return new Result(ratios, hiddenStates, worst);
    }

    /// <summary>
    /// Medians of both engines and the torch.mm peak measured alongside. Passes of 200 ms or more take turns with the peak
    /// product one call each; shorter ones run in blocks, with the peak product timed just before and just after them
    /// (interleaving a 90 ms product with 1 ms passes would make the pauses between turns most of the run).
    /// </summary>
    private static (double AlbertGen, double Ort, double PeakGflops) TimeWithPeak(IPreparedRun a, IPreparedRun o, int warmup, int runs, double estimate, BenchmarkSettings settings)
    {
        using var gemm = new PeakProduct(ScalarType.Float32);
        if (estimate >= 200)
        {
            List<double>[] samples = Timing.Interleaved([a.Run, o.Run, gemm.Run], warmup, runs);
            return (Timing.Median(samples[0]), Timing.Median(samples[1]), gemm.Gflops(Timing.Median(samples[2])));
        }

        int peakRuns = Math.Max(3, settings.GemmRuns / 3);
        List<double> before = Timing.Interleaved([gemm.Run], 1, peakRuns, block: peakRuns)[0];
        List<double>[] timed = Timing.Interleaved([a.Run, o.Run], warmup, runs, Timing.BlockFor(estimate));
        List<double> after = Timing.Interleaved([gemm.Run], 1, peakRuns, block: peakRuns)[0];
        return (Timing.Median(timed[0]), Timing.Median(timed[1]), gemm.Gflops(Timing.Median([.. before, .. after])));
    }

    /// <summary>
    /// Warm-up calls and timed runs for a shape whose warm call took <paramref name="estimateMs"/>: at least the settings'
    /// count, and for short passes enough to fill about <see cref="MinimumTimedMs"/> per engine, since the median of ten
    /// 20 ms samples moved by half from run to run on this shared machine (1×16 ratios of 1.06 to 1.76 in four runs).
    /// </summary>
    public static (int Warmup, int Runs) Counts(BenchmarkSettings settings, int batch, double estimateMs) =>
        batch >= 32 && estimateMs >= 200
            ? (1, settings.RunsLarge)
            : (settings.Warmup, Math.Clamp((int)(MinimumTimedMs / Math.Max(estimateMs, 0.05)), settings.Runs, settings.MaxRuns));

    /// <summary>Timed milliseconds per engine and shape that short passes run to, at least.</summary>
    private const double MinimumTimedMs = 2000;
}
