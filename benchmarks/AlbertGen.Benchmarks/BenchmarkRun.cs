using AlbertGen.Inference;
using AlbertGen.Checkpoints;
using System.Diagnostics;
using System.Globalization;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>One benchmark run: every section, then the summary and the <c>ratio_vs_ort</c> line.</summary>
internal sealed class BenchmarkRun
{
    private const int InputSeed = 1234;

    private static readonly (int Batch, int Sequence)[] Shapes = [(1, 16), (1, 128), (8, 128), (32, 128)];

    private readonly BenchmarkSettings _settings;
    private readonly Dictionary<string, double> _timeRatios = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> _fp32Hidden = new(StringComparer.Ordinal);
    private double? _loadRatio;
    private double? _rssRatio;
    private double _peakFp32 = double.NaN;
    private double _peakBf16 = double.NaN;
    private AlbertConfig? _anchorConfig;

    public BenchmarkRun(BenchmarkSettings settings) => _settings = settings;

    private AlbertConfig AnchorConfig => _anchorConfig ??= AlbertConfigReader.ReadFile(Paths.Anchor);

    /// <summary>Largest difference from ONNX Runtime's outputs that still compares the same computation.</summary>
    private const double OrtTolerance = 1e-4;

    private double _worstOrtDiff;

    private bool Has(string section) => _settings.Sections.Contains(section);

    public int Execute()
    {
        var total = Stopwatch.StartNew();
        AlbertRuntime.ConfigureForInference(); // before libtorch loads, as an application would (OpenMP reads its settings then)
        bool nativeBf16 = CpuFeatures.Current.HasNativeBFloat16;
        InferencePlan fp32Plan = InferenceCompiler.Plan(AnchorConfig, ScalarType.Float32);
        set_num_threads(Program.Threads);
        set_num_interop_threads(1);
        manual_seed(0);
        Console.WriteLine($"# AlbertGen vs ONNX Runtime ({(_settings.Quick ? "quick" : "full")} run)");
        Console.WriteLine();
        Console.WriteLine($"- date (UTC): {DateTime.UtcNow:yyyy-MM-dd HH:mm}");
        Console.WriteLine($"- machine: {Machine.CpuModel()}, {Environment.ProcessorCount} cores visible, native bfloat16: {(nativeBf16 ? "yes" : "no")}");
        Console.WriteLine($"- CPU features (AlbertGen's kernel choice, from {CpuFeatures.Current.Source}): {CpuFeatures.Current}");
        Console.WriteLine($"- float32 kernels: {string.Join(", ", fp32Plan.Products.Where(p => p.Group == 0 && p.Layer == 0).Select(p => $"{p.Product} {p.Kernel}"))}; attention libtorch-sdpa");
        Console.WriteLine($"- threads: torch intra-op {get_num_threads()} / inter-op {get_num_interop_threads()}, ONNX Runtime intra-op {Program.Threads} (sequential); "
            + $"OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "unset"}, GOMP_SPINCOUNT={Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") ?? "unset"}");
        Console.WriteLine($"- ONNX Runtime {OrtEngine.Version}, ORT_ENABLE_ALL; TorchSharp {typeof(torch).Assembly.GetName().Version}");
        Console.WriteLine($"- load average (1 min) at start: {Machine.LoadAverage()}");
        Console.WriteLine();

        if (Has("gemm"))
        {
            MeasurePeaks(nativeBf16);
        }

        if (Has("fp32"))
        {
            Fp32();
        }

        if (Has("int8"))
        {
            Int8Section.Run(_settings, AnchorConfig, InputSeed);
        }

        if (Has("bf16") || Has("accuracy"))
        {
            if (nativeBf16)
            {
                if (Has("bf16"))
                {
                    Bf16();
                }

                if (Has("accuracy"))
                {
                    Accuracy();
                }
            }
            else
            {
                Console.WriteLine($"Note: the bf16 and accuracy sections are skipped: this CPU has no native bfloat16 (features: {CpuFeatures.Current}), so bfloat16 would be emulated; AlbertGen runs float32 products there.");
                Console.WriteLine();
            }
        }

        if (Has("xxlarge"))
        {
            Xxlarge(nativeBf16);
        }

        if (Has("load"))
        {
            Load();
        }

        if (Has("rss"))
        {
            Rss();
        }

        Console.WriteLine($"- load average (1 min) at end: {Machine.LoadAverage()}; total {total.Elapsed.TotalSeconds:0} s");
        Console.WriteLine();
        string R(double? r) => r is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
        if (_worstOrtDiff > OrtTolerance)
        {
            Console.WriteLine($"FAILED: AlbertGen's outputs differ from ONNX Runtime's by {_worstOrtDiff:0.0e+0} (more than {OrtTolerance:0e+0}): the timings compare different computations, so no ratio is reported.");
            Console.Error.WriteLine($"benchmark: outputs differ from ONNX Runtime's by {_worstOrtDiff:0.0e+0} > {OrtTolerance:0e+0}");
            return 2;
        }

        Console.WriteLine("ratio_vs_ort " + string.Join(' ', Shapes.Select(s => $"{s.Batch}x{s.Sequence}={R(_timeRatios.TryGetValue($"{s.Batch}x{s.Sequence}", out double r) ? r : null)}"))
            + $" load={R(_loadRatio)} rss={R(_rssRatio)}");
        return 0;
    }

    private void MeasurePeaks(bool nativeBf16)
    {
        Console.WriteLine("## Matrix-multiply peak (torch.mm 2048×2048×2048)");
        Console.WriteLine();
        Console.WriteLine("| dtype | median ms | GFLOP/s |");
        Console.WriteLine("| --- | ---: | ---: |");
        foreach (ScalarType dtype in nativeBf16 ? new[] { ScalarType.Float32, ScalarType.BFloat16 } : [ScalarType.Float32])
        {
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            Tensor a = randn(2048, 2048).to(dtype), b = randn(2048, 2048).to(dtype);
            List<double> samples = Timing.Interleaved([() => a.mm(b).Dispose()], warmup: 2, count: _settings.GemmRuns)[0];
            double ms = Timing.Median(samples);
            double gflops = Flops.SquareProduct(2048) / (ms * 1e6);
            if (dtype == ScalarType.Float32)
            {
                _peakFp32 = gflops;
            }
            else
            {
                _peakBf16 = gflops;
            }

            Console.WriteLine($"| {Name(dtype)} | {ms:0.0} | {gflops:0} |");
        }

        Console.WriteLine();
    }

    private void Fp32()
    {
        Console.WriteLine("## float32: AlbertGen vs ONNX Runtime (anchor, AlbertModel outputs, random ids, full masks)");
        Console.WriteLine();
        using AlbertGenEngine albert = AlbertGenEngine.Load(Paths.Anchor, ScalarType.Float32, "AlbertGen fp32");
        using var ort = new OrtEngine(Paths.AnchorOnnx, Program.Threads);
        Console.WriteLine("| B×S | runs | AlbertGen ms | ORT ms | ratio | AlbertGen GFLOP/s | % of mm peak (of GFLOP/s measured alongside) | ORT GFLOP/s | max abs diff hidden / pooler | load |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        foreach ((int b, int s) in Shapes)
        {
            BatchInputs batch = BatchInputs.Random(b, s, AnchorConfig.VocabSize, InputSeed + b + s);
            using IPreparedRun a = albert.Prepare(batch);
            using IPreparedRun o = ort.Prepare(batch);
            (float[] ah, float[] ap) = a.RunAndRead();
            double estimate = Timing.Once(a.Run);
            (float[] oh, float[] op) = o.RunAndRead();
            _fp32Hidden[batch.Label] = ah;
            double hiddenDiff = MaxAbsDiff(ah, oh), poolerDiff = MaxAbsDiff(ap, op);
            _worstOrtDiff = Math.Max(_worstOrtDiff, Math.Max(hiddenDiff, poolerDiff));
            string diff = $"{hiddenDiff:0.0e+0} / {poolerDiff:0.0e+0}{(Math.Max(hiddenDiff, poolerDiff) > OrtTolerance ? " **DIFFERS**" : "")}";

            (int warmup, int runs) = Counts(b, estimate);
            // For the large shapes the matrix-multiply peak takes turns with both engines: on a shared machine a peak measured
            // minutes earlier says little about the minutes these runs took.
            using var gemm = new PeakProduct(ScalarType.Float32);
            List<double>[] samples = b >= 8
                ? Timing.Interleaved([a.Run, o.Run, gemm.Run], warmup, runs)
                : Timing.Interleaved([a.Run, o.Run], warmup, runs, Timing.BlockFor(estimate));
            double am = Timing.Median(samples[0]), om = Timing.Median(samples[1]);
            double peak = b >= 8 ? Flops.SquareProduct(PeakProduct.Size) / (Timing.Median(samples[2]) * 1e6) : _peakFp32;
            double flops = Flops.AlbertModel(AnchorConfig, b, s);
            _timeRatios[batch.Label] = am / om;
            Console.WriteLine($"| {batch.Label} | {runs} | {am:0.0} | {om:0.0} | {am / om:0.00} | {Gflops(flops, am):0} | {Percent(Gflops(flops, am), peak)}{(b >= 8 ? $" of {peak:0}" : "")} | {Gflops(flops, om):0} | {diff} | {Machine.LoadAverage()} |");
        }

        Console.WriteLine();
    }

    private void Bf16()
    {
        Console.WriteLine("## bfloat16 AlbertGen vs float32 ONNX Runtime (same inputs; accuracy against AlbertGen float32)");
        Console.WriteLine();
        Console.WriteLine("Two variants, timed in turn with ORT: the whole model in bfloat16 (`LoadOptions.DType`), and bfloat16 matrix");
        Console.WriteLine("products in the float32 model (`InferenceOptions.MatMulDType`: residual stream, LayerNorms and heads stay float32).");
        Console.WriteLine();
        AlbertGenEngine[] variants = Bf16Accuracy.Variants.Select(v => AlbertGenEngine.Load(Paths.Anchor, v.Options, v.Inference, v.Name)).ToArray();
        using var ort = new OrtEngine(Paths.AnchorOnnx, Program.Threads);
        AlbertGenEngine? fp32 = null;
        Console.WriteLine("| B×S | variant | runs | AlbertGen ms | ORT fp32 ms | time ratio | throughput × ORT | GFLOP/s | % of bf16 mm peak | max abs diff hidden vs fp32 | load |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        try
        {
            foreach ((int b, int s) in Shapes)
            {
                BatchInputs batch = BatchInputs.Random(b, s, AnchorConfig.VocabSize, InputSeed + b + s);
                IPreparedRun[] runs = variants.Select(v => v.Prepare(batch)).ToArray();
                using IPreparedRun o = ort.Prepare(batch);
                if (!_fp32Hidden.TryGetValue(batch.Label, out float[]? reference))
                {
                    fp32 ??= AlbertGenEngine.Load(Paths.Anchor, ScalarType.Float32, "AlbertGen fp32");
                    using IPreparedRun f = fp32.Prepare(batch);
                    reference = f.RunAndRead().LastHiddenState;
                }

                float[][] hidden = runs.Select(r => r.RunAndRead().LastHiddenState).ToArray();
                double estimate = runs.Average(r => Timing.Once(r.Run));
                (int warmup, int count) = Counts(b, estimate);
                List<double>[] samples = Timing.Interleaved([.. runs.Select(r => (Action)r.Run), o.Run], warmup, count, Timing.BlockFor(estimate));
                double om = Timing.Median(samples[^1]);
                double flops = Flops.AlbertModel(AnchorConfig, b, s);
                for (int v = 0; v < runs.Length; v++)
                {
                    double am = Timing.Median(samples[v]);
                    Console.WriteLine($"| {batch.Label} | {variants[v].Name} | {count} | {am:0.0} | {om:0.0} | {am / om:0.00} | {om / am:0.00} | {Gflops(flops, am):0} | {Percent(Gflops(flops, am), _peakBf16)} | {MaxAbsDiff(hidden[v], reference):0.0e+0} | {Machine.LoadAverage()} |");
                    runs[v].Dispose();
                }
            }
        }
        finally
        {
            fp32?.Dispose();
            foreach (AlbertGenEngine v in variants)
            {
                v.Dispose();
            }
        }

        Console.WriteLine();
    }

    private void Accuracy()
    {
        Console.WriteLine("## bfloat16 accuracy: masked-LM top-1 agreement with float32");
        Console.WriteLine();
        Console.WriteLine("| variant | model | inputs | positions | top-1 agreement | max abs diff last hidden state |");
        Console.WriteLine("| --- | --- | --- | ---: | ---: | ---: |");
        foreach ((string Name, LoadOptions Options, InferenceOptions? Inference) variant in Bf16Accuracy.Variants)
        {
            var all = new List<Bf16Accuracy.Agreement>();
            all.AddRange(Bf16Accuracy.Fixture("tiny", variant));
            all.AddRange(Bf16Accuracy.Fixture("tiny-groups", variant));
            all.Add(Bf16Accuracy.Anchor(BatchInputs.Random(8, 128, AnchorConfig.VocabSize, InputSeed), variant));
            foreach (Bf16Accuracy.Agreement a in all)
            {
                Console.WriteLine($"| {a.Variant} | {a.Model} | {a.Inputs} | {a.Positions} | {a.Rate:P2} | {a.MaxHiddenDiff:0.0e+0} |");
            }

            long positions = all.Sum(a => a.Positions), agreeing = all.Sum(a => a.Agreeing);
            Console.WriteLine($"| {variant.Name} | all | | {positions} | {agreeing / (double)positions:P2} | |");
        }

        Console.WriteLine();
    }

    private void Xxlarge(bool nativeBf16)
    {
        Console.WriteLine("## albert-xxlarge-v2 shape (random weights), 1×128");
        Console.WriteLine();
        AlbertConfig config = AlbertConfigReader.ReadFile(Paths.XxlargeConfig);
        manual_seed(7);
        var build = Stopwatch.StartNew();
        using AlbertGenEngine engine = AlbertGenEngine.Wrap(new AlbertModel(config), "xxlarge");
        double buildMs = build.Elapsed.TotalMilliseconds;
        BatchInputs batch = BatchInputs.Random(1, 128, config.VocabSize, InputSeed);
        double flops = Flops.AlbertModel(config, 1, 128);
        Console.WriteLine($"Random initialisation took {buildMs:0} ms; {flops / 1e9:0} GFLOP per forward.");
        Console.WriteLine();
        Console.WriteLine("| dtype | runs | ms | GFLOP/s | % of same-dtype mm peak | max abs diff hidden vs fp32 | load |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        float[] reference;
        using (IPreparedRun run = engine.Prepare(batch))
        {
            reference = run.RunAndRead().LastHiddenState;
            double ms = Timing.Median(Timing.Interleaved([run.Run], 0, _settings.XxlargeRuns)[0]);
            Console.WriteLine($"| float32 | {_settings.XxlargeRuns} | {ms:0} | {Gflops(flops, ms):0} | {Percent(Gflops(flops, ms), _peakFp32)} | 0 | {Machine.LoadAverage()} |");
        }

        if (!nativeBf16)
        {
            Console.WriteLine();
            Console.WriteLine("Note: the bfloat16 row is skipped: this CPU has no native bfloat16.");
            Console.WriteLine();
            return;
        }

        engine.Model.to(ScalarType.BFloat16);
        using AlbertGenEngine bf16 = AlbertGenEngine.Wrap(engine.Model, "xxlarge bf16", ownsModel: false);
        using (IPreparedRun run = bf16.Prepare(batch))
        {
            float[] hidden = run.RunAndRead().LastHiddenState;
            double ms = Timing.Median(Timing.Interleaved([run.Run], 0, _settings.XxlargeRuns)[0]);
            Console.WriteLine($"| bfloat16 | {_settings.XxlargeRuns} | {ms:0} | {Gflops(flops, ms):0} | {Percent(Gflops(flops, ms), _peakBf16)} | {MaxAbsDiff(hidden, reference):0.0e+0} | {Machine.LoadAverage()} |");
        }

        Console.WriteLine();
    }

    private void Load()
    {
        Console.WriteLine("## Load to first result (fresh process each, 1×16; median)");
        Console.WriteLine();
        string? published = ReadyToRunCopy.Publish();
        var builds = new List<(string Name, string? Executable)> { ("JIT build", null) };
        if (published is not null)
        {
            builds.Add(("ReadyToRun publish", published));
        }

        double albertBest = double.MaxValue, ortBest = double.MaxValue;
        Console.WriteLine("| engine | build | processes | Main → model ready ms | Main → first result ms | process start → first result ms |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach ((string name, string? executable) in builds)
        {
            // One untimed launch each first: the page cache then holds both models and both native libraries.
            ChildProcess.RunWith(executable, "load", "albertgen");
            ChildProcess.RunWith(executable, "load", "ort");
            var albert = new List<Dictionary<string, double>>();
            var ort = new List<Dictionary<string, double>>();
            for (int i = 0; i < _settings.LoadProcesses; i++)
            {
                albert.Add(ChildProcess.RunWith(executable, "load", "albertgen").Values);
                ort.Add(ChildProcess.RunWith(executable, "load", "ort").Values);
            }

            double M(List<Dictionary<string, double>> runs, string key) => Timing.Median(runs.Select(r => r[key]).ToList());
            Console.WriteLine($"| AlbertGen | {name} | {albert.Count} | {M(albert, "create_ms"):0} | {M(albert, "load_ms"):0} | {M(albert, "process_ms"):0} |");
            Console.WriteLine($"| ONNX Runtime | {name} | {ort.Count} | {M(ort, "create_ms"):0} | {M(ort, "load_ms"):0} | {M(ort, "process_ms"):0} |");
            albertBest = Math.Min(albertBest, M(albert, "load_ms"));
            ortBest = Math.Min(ortBest, M(ort, "load_ms"));
        }

        // Each engine in the build that starts it faster (which one that is for ONNX Runtime varies from run to run).
        _loadRatio = albertBest / ortBest;

        if (published is not null)
        {
            Directory.Delete(Path.GetDirectoryName(published)!, recursive: true);
        }

        Console.WriteLine();
        Console.WriteLine($"load ratio (Main → first result, each engine's faster build) {_loadRatio:0.00}; load average {Machine.LoadAverage()}");
        Console.WriteLine();
    }

    private void Rss()
    {
        Console.WriteLine("## Peak resident set after 8×128 (fresh process each; VmHWM; median)");
        Console.WriteLine();
        string[] engines = ["albertgen", "ort", "albertgen-bf16"];
        var results = engines.ToDictionary(e => e, _ => new List<Dictionary<string, double>>());
        for (int i = 0; i < _settings.RssProcesses; i++)
        {
            foreach (string e in engines)
            {
                results[e].Add(ChildProcess.Run("rss", e).Values);
            }
        }

        Console.WriteLine("| engine | processes | peak RSS MiB | peak after load MiB | RSS at end MiB | of which anonymous / file-backed MiB | of which the engine's native libraries MiB |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | --- | ---: |");
        double Mib(string e, string key) => Timing.Median(results[e].Select(r => r[key]).ToList()) / 1024;
        foreach (string e in engines)
        {
            Console.WriteLine($"| {e} | {results[e].Count} | {Mib(e, "hwm_kib"):0} | {Mib(e, "loaded_hwm_kib"):0} | {Mib(e, "rss_kib"):0} | {Mib(e, "anon_kib"):0} / {Mib(e, "file_kib"):0} | {Mib(e, "engine_code_kib"):0} |");
        }

        _rssRatio = Mib("albertgen", "hwm_kib") / Mib("ort", "hwm_kib");
        Console.WriteLine();
    }

    /// <summary>torch.mm of two 2048×2048 matrices, the matrix-multiply peak.</summary>
    private sealed class PeakProduct : IDisposable
    {
        public const int Size = 2048;
        private readonly Tensor _a, _b;

        public PeakProduct(ScalarType dtype)
        {
            using Tensor a = randn(Size, Size), b = randn(Size, Size);
            _a = a.to(dtype);
            _b = b.to(dtype);
        }

        public void Run()
        {
            using var inference = inference_mode();
            _a.mm(_b).Dispose();
        }

        public void Dispose()
        {
            _a.Dispose();
            _b.Dispose();
        }
    }

    /// <summary>
    /// Warm-up calls and timed runs for a shape whose warm call took <paramref name="estimateMs"/>: at least the settings'
    /// count, and for short passes enough to fill about <see cref="MinimumTimedMs"/> per engine, since the median of ten
    /// 20 ms samples moved by half from run to run on this shared machine (1×16 ratios of 1.06 to 1.76 in four runs).
    /// </summary>
    private (int Warmup, int Runs) Counts(int batch, double estimateMs) =>
        batch >= 32
            ? (1, _settings.RunsLarge)
            : (_settings.Warmup, Math.Clamp((int)(MinimumTimedMs / Math.Max(estimateMs, 1)), _settings.Runs, 10 * _settings.Runs));

    /// <summary>Timed milliseconds per engine and shape that short passes run to, at least.</summary>
    private const double MinimumTimedMs = 2000;

    private static double Gflops(double flops, double ms) => flops / (ms * 1e6);

    private static string Percent(double value, double peak) => double.IsNaN(peak) ? "n/a" : $"{100 * value / peak:0} %";

    private static string Name(ScalarType dtype) => dtype == ScalarType.Float32 ? "float32" : "bfloat16";

    private static double MaxAbsDiff(float[] a, float[] b)
    {
        if (a.Length != b.Length)
        {
            throw new InvalidOperationException($"Output lengths differ: {a.Length} vs {b.Length}.");
        }

        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        }

        return max;
    }
}
