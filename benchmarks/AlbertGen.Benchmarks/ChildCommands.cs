using System.Diagnostics;
using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>The sub-commands run in fresh processes: load to first result, and peak memory after an 8×128 batch.</summary>
internal static class ChildCommands
{
    /// <summary>Seed of the inputs used by the children (the same in both engines).</summary>
    private const int Seed = 4242;

    /// <summary>
    /// <c>load albertgen|ort</c>: from the start of <c>Main</c> to the first 1×16 result in hand (native libraries, weights,
    /// first forward). Also reports the time since the process started (includes the .NET host start, the same for both).
    /// </summary>
    public static int Load(string engine, long mainStarted)
    {
        BatchInputs batch = BatchInputs.Random(1, 16, 30000, Seed);
        double created;
        float first;
        if (engine == "albertgen")
        {
            // AlbertGen first, as an application would: its module initializer sets OpenMP's defaults before libtorch loads.
            using AlbertGenEngine albert = AlbertGenEngine.Load(Paths.Anchor, ScalarType.Float32, "AlbertGen");
            set_num_threads(Program.Threads);
            created = Stopwatch.GetElapsedTime(mainStarted).TotalMilliseconds;
            using IPreparedRun run = albert.Prepare(batch);
            first = run.RunAndRead().LastHiddenState[0];
        }
        else
        {
            using var ort = new OrtEngine(Paths.AnchorOnnx, Program.Threads);
            created = Stopwatch.GetElapsedTime(mainStarted).TotalMilliseconds;
            using IPreparedRun run = ort.Prepare(batch);
            first = run.RunAndRead().LastHiddenState[0];
        }

        double total = Stopwatch.GetElapsedTime(mainStarted).TotalMilliseconds;
        double sinceProcessStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        ChildProcess.Report(("load_ms", total), ("create_ms", created), ("process_ms", sinceProcessStart), ("check", first));
        return 0;
    }

    /// <summary>
    /// <c>rss albertgen|albertgen-bf16|ort</c>: load, run 8×128 twice, report the peak resident set (VmHWM), the resident
    /// set after loading and at the end, the end's split into anonymous memory and mapped files (code, models), and how much
    /// of the engine's native libraries (libtorch, or ONNX Runtime) is resident.
    /// </summary>
    public static int Rss(string engine)
    {
        BatchInputs batch = BatchInputs.Random(8, 128, 30000, Seed);
        long sessionAnon = 0;
        IEngine e = engine switch
        {
            "albertgen" => LoadAlbert(ScalarType.Float32, out sessionAnon),
            "albertgen-bf16" => LoadAlbert(ScalarType.BFloat16, out sessionAnon),
            "ort" => new OrtEngine(Paths.AnchorOnnx, Program.Threads),
            _ => throw new ArgumentException($"Unknown engine '{engine}'."),
        };
        long loadedHwm = Machine.StatusKib("VmHWM"), loadedRss = Machine.StatusKib("VmRSS");
        using (e)
        using (IPreparedRun run = e.Prepare(batch))
        {
            run.Run();
            run.Run();
            ChildProcess.Report(("hwm_kib", Machine.StatusKib("VmHWM")), ("rss_kib", Machine.StatusKib("VmRSS")),
                ("loaded_hwm_kib", loadedHwm), ("loaded_rss_kib", loadedRss), ("session_anon_kib", sessionAnon),
                ("anon_kib", Machine.StatusKib("RssAnon")), ("file_kib", Machine.StatusKib("RssFile")),
                ("engine_code_kib", Machine.MappedFileKib(engine.StartsWith("albertgen", StringComparison.Ordinal) ? ["libtorch", "libc10"] : ["libonnxruntime"])));
        }

        return 0;
    }

    /// <summary>
    /// Loads the anchor, then compiles its session; <paramref name="sessionAnonKib"/> is the anonymous memory the compilation
    /// added: the session's own copies of the weights (fused, converted, packed or quantised), which the session does not
    /// report itself.
    /// </summary>
    private static AlbertGenEngine LoadAlbert(ScalarType dtype, out long sessionAnonKib)
    {
        var model = AlbertModel.FromPretrained(Paths.Anchor, new LoadOptions { DType = dtype == ScalarType.Float32 ? null : dtype });
        long before = Machine.StatusKib("RssAnon");
        AlbertGenEngine engine = AlbertGenEngine.Wrap(model, "AlbertGen");
        sessionAnonKib = Machine.StatusKib("RssAnon") - before;
        set_num_threads(Program.Threads);
        return engine;
    }
}
