using AlbertGen.Inference;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>
/// The <c>default-model</c> section: one forward of the project's default model (<c>models/shakespeare</c>, hidden 128,
/// 4 layers) over 13 tokens, the size of a short online query such as one <c>/embed</c> request; the median of many
/// calls in one block (target ≤ 0.5 ms on 2 cores). Prints <c>default_model_13_tokens_ms=…</c> for the summary.
/// </summary>
internal static class DefaultModelSection
{
    public const int Tokens = 13;

    /// <summary>Runs the section; returns the median milliseconds of one forward.</summary>
    public static double Run(BenchmarkSettings settings, int inputSeed)
    {
        Console.WriteLine($"## Default model (models/shakespeare): one forward over {Tokens} tokens");
        Console.WriteLine();
        using AlbertModel model = AlbertModel.FromPretrained(Paths.DefaultModel);
        using AlbertGenEngine engine = AlbertGenEngine.Wrap(model, "default model", ownsModel: false);
        Console.WriteLine($"- AlbertModel from {Path.GetFileName(Paths.DefaultModel)} (hidden {model.Config.HiddenSize}, {model.Config.NumHiddenLayers} layers, "
            + $"{model.Config.PositionEmbeddingType} positions); kernels: {WeightTraffic.KernelSummary(engine.Session.Products)}; fused layers: {engine.Session.FusedLayers ?? "none"}");
        BatchInputs batch = BatchInputs.Random(1, Tokens, model.Config.VocabSize, inputSeed);
        using IPreparedRun run = engine.Prepare(batch);
        run.Run();
        // As many calls as fit in a few seconds (a loaded machine makes each call far slower), at least 50.
        double estimate = Timing.Once(run.Run);
        int Fit(double ms, int most) => Math.Clamp((int)(ms / Math.Max(estimate, 0.01)), 50, most);
        int warmup = Fit(500, 200), runs = Fit(settings.Quick ? 3000 : 10000, settings.Quick ? 4000 : 20000);
        List<double> samples = Timing.Interleaved([run.Run], warmup, count: runs, block: runs)[0];
        double median = Timing.Median(samples);
        double[] sorted = [.. samples.Order()];
        Console.WriteLine($"- {runs} calls after {warmup} warm-up calls, one block: median {median:0.000} ms, 10th percentile {sorted[runs / 10]:0.000} ms, "
            + $"90th {sorted[runs * 9 / 10]:0.000} ms; {Numbers.Gflops(Flops.AlbertModel(model.Config, 1, Tokens), median):0.00} GFLOP/s; load {Machine.LoadAverage()}");
        Console.WriteLine();
        return median;
    }
}
