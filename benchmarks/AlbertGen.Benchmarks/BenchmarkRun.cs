using AlbertGen.Inference;
using AlbertGen.Checkpoints;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>One benchmark run: every section, then the summary and the ratio lines.</summary>
internal sealed class BenchmarkRun
{
    private const int InputSeed = 1234;

    /// <summary>Environment variables that change which instructions the engines use, printed in the header.</summary>
    private static readonly string[] IsaVariables =
    [
        CpuFeatures.RestrictionVariable, "DOTNET_EnableAVX512", "DOTNET_EnableAVX512F", "DOTNET_EnableAVX2", "ONEDNN_MAX_CPU_ISA",
        "MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY",
    ];

    private readonly BenchmarkSettings _settings;
    private readonly MachineLimits _limits = new();
    private Fp32Section.Result? _fp32;
    private Fp32Section.Result? _smallFp32;
    private Int8Section.Result? _int8;
    private Int8Section.Result? _smallInt8;
    private double? _defaultModelMs;
    private double? _loadRatio;
    private double? _rssRatio;
    private readonly Dictionary<string, double> _sectionSeconds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _pauseCpu = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, float[]> _fp32Hidden = new Dictionary<string, float[]>();

    public BenchmarkRun(BenchmarkSettings settings) => _settings = settings;

    private bool Has(string section) => _settings.Sections.Contains(section);

    public int Execute()
    {
#if DEBUG
        Console.Error.WriteLine("benchmark: this is a Debug build; timings are meaningless. Run with -c Release.");
        return 2;
#else
        var total = Stopwatch.StartNew();
        AlbertRuntime.ConfigureForInference(); // before libtorch loads, as an application would (OpenMP reads its settings then)
        bool nativeBf16 = CpuFeatures.Current.HasNativeBFloat16;
        set_num_threads(Program.Threads);
        set_num_interop_threads(1);
        manual_seed(0);
        PrintHeader(nativeBf16);

        if (Has("limits"))
        {
            Timed("limits", () => MeasureLimits(nativeBf16));
        }

        if (Has("fp32"))
        {
            _fp32 = Timed("fp32", () => Fp32Section.Run(_settings, AnchorModel.Base, _limits, InputSeed));
            _fp32Hidden = _fp32.Hidden;
        }

        if (Has("int8"))
        {
            _int8 = Timed("int8", () => Int8Section.Run(_settings, AnchorModel.Base, _limits, InputSeed));
        }

        if (Has("small-fp32"))
        {
            _smallFp32 = Timed("small-fp32", () => Fp32Section.Run(_settings, AnchorModel.Small, _limits, InputSeed));
        }

        if (Has("small-int8"))
        {
            _smallInt8 = Timed("small-int8", () => Int8Section.Run(_settings, AnchorModel.Small, _limits, InputSeed));
        }

        if (Has("default-model"))
        {
            _defaultModelMs = Timed("default-model", () => DefaultModelSection.Run(_settings, InputSeed));
        }

        if (Has("bf16") || Has("accuracy"))
        {
            if (nativeBf16)
            {
                if (Has("bf16"))
                {
                    Timed("bf16", Bf16);
                }

                if (Has("accuracy"))
                {
                    Timed("accuracy", Accuracy);
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
            Timed("xxlarge", () => Xxlarge(nativeBf16));
        }

        if (Has("load"))
        {
            Timed("load", Load);
        }

        if (Has("rss"))
        {
            Timed("rss", Rss);
        }

        Console.WriteLine($"- load average (1 min) at end: {Machine.LoadAverage()}; total {total.Elapsed.TotalSeconds:0} s ({string.Join(", ", _sectionSeconds.Select(t => $"{t.Key} {t.Value:0} s"))})");
        Console.WriteLine($"- CPU used by this process during the 200 ms pauses between engines (threads left spinning), % of one core: {string.Join("; ", _pauseCpu.Select(p => $"{p.Key}: {p.Value}"))}");
        Console.WriteLine();
        double worstOrtDiff = Math.Max(_fp32?.WorstOrtDiff ?? 0, _smallFp32?.WorstOrtDiff ?? 0);
        if (worstOrtDiff > Fp32Section.OrtTolerance)
        {
            Console.WriteLine($"FAILED: AlbertGen's outputs differ from ONNX Runtime's by {worstOrtDiff:0.0e+0} (more than {Fp32Section.OrtTolerance:0e+0}): the timings compare different computations, so no ratio is reported.");
            Console.Error.WriteLine($"benchmark: outputs differ from ONNX Runtime's by {worstOrtDiff:0.0e+0} > {Fp32Section.OrtTolerance:0e+0}");
            return 2;
        }

        if (_defaultModelMs is { } ms)
        {
            Console.WriteLine($"default_model_{DefaultModelSection.Tokens}_tokens_ms={ms.ToString("0.000", CultureInfo.InvariantCulture)}");
        }

        if (_int8 is not null)
        {
            Console.WriteLine("ratio_vs_ort_int8 " + _int8.Fields);
        }

        if (_smallInt8 is not null)
        {
            Console.WriteLine("ratio_vs_ort_int8_small " + _smallInt8.Fields);
        }

        if (_smallFp32 is not null)
        {
            Console.WriteLine("ratio_vs_ort_small " + Shapes.RatioFields(_smallFp32.Ratios));
        }

        Console.WriteLine($"ratio_vs_ort {Shapes.RatioFields(_fp32?.Ratios)} load={Numbers.Ratio(_loadRatio)} rss={Numbers.Ratio(_rssRatio)}");
        return 0;
#endif
    }

    private void PrintHeader(bool nativeBf16)
    {
        Console.WriteLine($"# AlbertGen vs ONNX Runtime ({(_settings.Quick ? "quick" : "full")} run, Release build)");
        Console.WriteLine();
        Console.WriteLine($"- date (UTC): {DateTime.UtcNow:yyyy-MM-dd HH:mm}");
        Console.WriteLine($"- machine: {Machine.CpuModel()}, {Environment.ProcessorCount} cores visible, native bfloat16: {(nativeBf16 ? "yes" : "no")}");
        Console.WriteLine($"- CPU features (AlbertGen's kernel choice, from {CpuFeatures.Current.Source}): {CpuFeatures.Current}");
        Console.WriteLine($"- .NET JIT reports: AVX2 {Yes(Avx2.IsSupported)}, FMA {Yes(Fma.IsSupported)}, AVX-512F {Yes(Avx512F.IsSupported)}, Vector512 accelerated {Yes(Vector512.IsHardwareAccelerated)}, AVX-VNNI {Yes(AvxVnni.IsSupported)}");
        string isaVariables = string.Join(", ", IsaVariables.Where(v => Environment.GetEnvironmentVariable(v) is not null).Select(v => $"{v}={Environment.GetEnvironmentVariable(v)}"));
        Console.WriteLine($"- instruction-set variables: {(isaVariables.Length == 0 ? "none set" : isaVariables)} (ONNX Runtime's MLAS dispatches on CPUID whatever they say)");
        foreach (AnchorModel anchor in new[] { AnchorModel.Base, AnchorModel.Small })
        {
            InferencePlan fp32 = InferenceCompiler.Plan(anchor.Config, ScalarType.Float32);
            string fused = fp32.FusedLayers is null ? "" : $"; fused layers (managed attention): {fp32.FusedLayers}";
            Console.WriteLine($"- {anchor.Title} float32 kernels (planned): {WeightTraffic.KernelSummary(fp32.Products)}{fused}; otherwise attention libtorch-sdpa");
            try
            {
                InferencePlan int8 = InferenceCompiler.Plan(anchor.Config, ScalarType.Float32, new InferenceOptions { Int8 = true });
                Console.WriteLine($"- {anchor.Title} kernels with `Int8 = true` (planned): {WeightTraffic.KernelSummary(int8.Products)}");
            }
            catch (NotSupportedException e)
            {
                Console.WriteLine($"- {anchor.Title} with `Int8 = true`: {e.Message}");
            }
        }

        Console.WriteLine($"- threads: torch intra-op {get_num_threads()} / inter-op {get_num_interop_threads()}, ONNX Runtime intra-op {Program.Threads} (sequential); "
            + $"OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "unset"}, GOMP_SPINCOUNT={Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") ?? "unset"}; "
            + "both engines in this process, taking turns with a 200 ms pause at each switch; start-up and memory in fresh child processes");
        Console.WriteLine($"- ONNX Runtime {OrtEngine.Version}, ORT_ENABLE_ALL; TorchSharp {typeof(torch).Assembly.GetName().Version}");
        Console.WriteLine($"- load average (1 min) at start: {Machine.LoadAverage()}");
        Console.WriteLine();
    }

    private static string Yes(bool value) => value ? "yes" : "no";

    private T Timed<T>(string section, Func<T> run)
    {
        var watch = Stopwatch.StartNew();
        Timing.TakePauseCpu();
        T result = run();
        _sectionSeconds[section] = watch.Elapsed.TotalSeconds;
        IReadOnlyDictionary<string, double> pauseCpu = Timing.TakePauseCpu();
        if (pauseCpu.Count > 0)
        {
            _pauseCpu[section] = string.Join(" / ", pauseCpu.Select(p => $"after {p.Key} {p.Value:0.0} %"));
        }

        return result;
    }

    private void Timed(string section, Action run) => Timed(section, () =>
    {
        run();
        return 0;
    });

    private void MeasureLimits(bool nativeBf16)
    {
        Console.WriteLine("## Machine limits (measured now; every section's percentages are of these, or of torch.mm measured alongside)");
        Console.WriteLine();
        _limits.MeasureManaged(Program.Threads, _settings.LimitTrials);
        _limits.TorchMmFp32 = MachineLimits.TorchMm(ScalarType.Float32, _settings.GemmRuns);
        Console.WriteLine($"| torch.mm 2048³ float32 | – | – | {_limits.TorchMmFp32:0.0} GFLOP/s | libtorch's matrix-multiply peak, median of {_settings.GemmRuns} |");
        if (nativeBf16)
        {
            _limits.TorchMmBf16 = MachineLimits.TorchMm(ScalarType.BFloat16, _settings.GemmRuns);
            Console.WriteLine($"| torch.mm 2048³ bfloat16 | – | – | {_limits.TorchMmBf16:0.0} GFLOP/s | median of {_settings.GemmRuns} |");
        }

        Console.WriteLine();
        Console.WriteLine($"fp32 peak used below: {_limits.Fp32Peak:0} GFLOP/s (widest managed FMA loop, per core × {Program.Threads} threads); int8 peak: {_limits.Int8Peak:0} GOP/s; memory read bandwidth: {_limits.Bandwidth.Limit:0.0} GB/s; load {Machine.LoadAverage()}");
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
            foreach ((int b, int s) in Shapes.All)
            {
                BatchInputs batch = BatchInputs.Random(b, s, AnchorModel.Base.Config.VocabSize, InputSeed + b + s);
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
                (int warmup, int count) = Fp32Section.Counts(_settings, b, estimate);
                List<double>[] samples = Timing.Interleaved([.. runs.Select(r => (Action)r.Run), o.Run], warmup, count, Timing.BlockFor(estimate));
                double om = Timing.Median(samples[^1]);
                double flops = Flops.AlbertModel(AnchorModel.Base.Config, b, s);
                for (int v = 0; v < runs.Length; v++)
                {
                    double am = Timing.Median(samples[v]);
                    Console.WriteLine($"| {batch.Label} | {variants[v].Name} | {count} | {am:0.0} | {om:0.0} | {am / om:0.00} | {om / am:0.00} | {Numbers.Gflops(flops, am):0} | {Numbers.Percent(Numbers.Gflops(flops, am), _limits.TorchMmBf16)} | {Numbers.MaxAbsDiff(hidden[v], reference):0.0e+0} | {Machine.LoadAverage()} |");
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
            all.Add(Bf16Accuracy.Anchor(BatchInputs.Random(8, 128, AnchorModel.Base.Config.VocabSize, InputSeed), variant));
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
            Console.WriteLine($"| float32 | {_settings.XxlargeRuns} | {ms:0} | {Numbers.Gflops(flops, ms):0} | {Numbers.Percent(Numbers.Gflops(flops, ms), _limits.TorchMmFp32)} | 0 | {Machine.LoadAverage()} |");
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
            Console.WriteLine($"| bfloat16 | {_settings.XxlargeRuns} | {ms:0} | {Numbers.Gflops(flops, ms):0} | {Numbers.Percent(Numbers.Gflops(flops, ms), _limits.TorchMmBf16)} | {Numbers.MaxAbsDiff(hidden, reference):0.0e+0} | {Machine.LoadAverage()} |");
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

        Console.WriteLine("| engine | processes | peak RSS MiB | peak after load MiB | RSS at end MiB | of which anonymous / file-backed MiB | of which the engine's native libraries MiB | session's own weight copies MiB (anonymous memory compiling added) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |");
        double Mib(string e, string key) => Timing.Median(results[e].Select(r => r[key]).ToList()) / 1024;
        foreach (string e in engines)
        {
            Console.WriteLine($"| {e} | {results[e].Count} | {Mib(e, "hwm_kib"):0} | {Mib(e, "loaded_hwm_kib"):0} | {Mib(e, "rss_kib"):0} | {Mib(e, "anon_kib"):0} / {Mib(e, "file_kib"):0} | {Mib(e, "engine_code_kib"):0} | {(e == "ort" ? "–" : Mib(e, "session_anon_kib").ToString("0.0", CultureInfo.InvariantCulture))} |");
        }

        _rssRatio = Mib("albertgen", "hwm_kib") / Mib("ort", "hwm_kib");
        Console.WriteLine();
    }
}
