using System.Diagnostics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>
/// What this machine can do at most, measured in the run that uses it (a limit measured minutes earlier on a shared machine
/// says little): float32 multiply-add throughput (managed FMA loops and libtorch's <c>torch.mm</c>), int8 multiply-add
/// throughput, and memory read bandwidth. NaN marks a limit that was not measured (its section did not run, or the CPU
/// lacks the instructions).
/// </summary>
internal sealed class MachineLimits
{
    /// <summary>Bytes streamed by the bandwidth measure: eight times a 32 MiB L3, so almost every line comes from memory.</summary>
    private const long BandwidthBytes = 256L << 20;

    /// <summary>torch.mm 2048³ float32, GFLOP/s on the run's threads.</summary>
    public double TorchMmFp32 { get; set; } = double.NaN;

    /// <summary>torch.mm 2048³ bfloat16, GFLOP/s (CPUs with native bfloat16 only).</summary>
    public double TorchMmBf16 { get; set; } = double.NaN;

    /// <summary>Managed 256-bit FMA loop, GFLOP/s: one thread, and all the run's threads at once.</summary>
    public (double OneThread, double AllThreads) Fma256 { get; private set; } = (double.NaN, double.NaN);

    /// <summary>Managed 512-bit FMA loop, GFLOP/s (where the JIT has AVX-512).</summary>
    public (double OneThread, double AllThreads) Fma512 { get; private set; } = (double.NaN, double.NaN);

    /// <summary>Managed int8 loop on AVX2 (<c>vpmaddubsw</c>+<c>vpmaddwd</c>), GOP/s.</summary>
    public (double OneThread, double AllThreads) Int8Avx2 { get; private set; } = (double.NaN, double.NaN);

    /// <summary>Managed int8 loop on AVX-VNNI (<c>vpdpbusd</c>), GOP/s (where the JIT has AVX-VNNI).</summary>
    public (double OneThread, double AllThreads) Int8Vnni { get; private set; } = (double.NaN, double.NaN);

    /// <summary>Memory read bandwidth, GB/s (10⁹ bytes).</summary>
    public (double OneThread, double AllThreads) Bandwidth { get; private set; } = (double.NaN, double.NaN);

    /// <summary>The float32 arithmetic limit of the run's threads: the widest managed FMA loop the JIT runs.</summary>
    public double Fp32Peak => double.IsNaN(Fma512.AllThreads) ? Fma256.AllThreads : Math.Max(Fma512.AllThreads, Fma256.AllThreads);

    /// <summary>The int8 arithmetic limit: VNNI where the JIT has it, else the AVX2 sequence.</summary>
    public double Int8Peak => double.IsNaN(Int8Vnni.AllThreads) ? Int8Avx2.AllThreads : Int8Vnni.AllThreads;

    /// <summary>
    /// Measures the managed loops and the bandwidth and prints them as a table. Each is the best of <paramref name="trials"/>
    /// short runs (≈ 20 ms): on a shared machine a short run is more likely to have the cores to itself than a long one,
    /// and the best run is the one closest to what the CPU can do.
    /// </summary>
    public void MeasureManaged(int threads, int trials)
    {
        Console.WriteLine("| limit | 1 thread | " + threads + " threads | what |");
        Console.WriteLine("| --- | ---: | ---: | --- |");
        (double, double) Loop(string name, string? whyNot, Func<long, float> loop, long iterations, double opsPerIteration, string unit, string what)
        {
            if (whyNot is not null)
            {
                Console.WriteLine($"| {name} | – | – | not run: {whyNot} |");
                return (double.NaN, double.NaN);
            }

            (double, double) rates = Both(threads, trials, loop, iterations, opsPerIteration);
            Print(name, rates, unit, what);
            return rates;
        }

        Fma256 = Loop("fp32 FMA, Vector256", null, n => PeakLoops.Fma256(n), 10_000_000, PeakLoops.Fma256FlopsPerIteration,
            "GFLOP/s", "12 independent `vfmadd` ymm per iteration");
        Fma512 = Loop("fp32 FMA, Vector512", PeakLoops.Fma512Supported ? null : "the JIT reports no AVX-512 (Vector512 not accelerated)",
            n => PeakLoops.Fma512(n), 5_000_000, PeakLoops.Fma512FlopsPerIteration, "GFLOP/s", "12 independent `vfmadd` zmm per iteration");
        Int8Avx2 = Loop("int8, AVX2 `vpmaddubsw`+`vpmaddwd`+`vpaddd`", null, n => PeakLoops.Int8Avx2(n), 4_000_000, PeakLoops.Int8OpsPerIteration,
            "GOP/s", "8 independent u8×s8 products of 32 pairs per iteration, one load");
        Int8Vnni = Loop("int8, AVX-VNNI `vpdpbusd` ymm",
            PeakLoops.VnniSupported ? null : "the JIT reports no AVX-VNNI (.NET 10 exposes `vpdpbusd` only as `AvxVnni`, the VEX form; AVX512-VNNI alone does not enable it)",
            n => PeakLoops.Int8Vnni(n), 5_000_000, PeakLoops.Int8OpsPerIteration, "GOP/s", "8 independent `vpdpbusd` per iteration, one load");
        Bandwidth = MeasureBandwidth(threads, trials);
        Print($"memory read bandwidth ({BandwidthBytes >> 20} MiB buffer)", Bandwidth, "GB/s", "256-bit loads, the buffer split between the threads");
    }

    private static void Print(string name, (double One, double All) value, string unit, string what) =>
        Console.WriteLine($"| {name} | {value.One:0.0} {unit} | {value.All:0.0} {unit} | {what} |");

    /// <summary>Best rate of <paramref name="trials"/> runs on one thread, then on <paramref name="threads"/> threads at once.</summary>
    private static (double, double) Both(int threads, int trials, Func<long, float> loop, long iterations, double opsPerIteration) =>
        (Best(1, trials, loop, iterations, opsPerIteration), Best(threads, trials, loop, iterations, opsPerIteration));

    /// <summary>Giga-operations per second of <paramref name="threads"/> threads each running the loop, best of the trials.</summary>
    private static double Best(int threads, int trials, Func<long, float> loop, long iterations, double opsPerIteration)
    {
        loop(iterations / 100); // compile and warm up
        double best = 0;
        for (int t = 0; t < trials; t++)
        {
            double seconds = OnThreads(threads, _ => loop(iterations));
            best = Math.Max(best, threads * iterations * opsPerIteration / seconds / 1e9);
        }

        return best;
    }

    private static unsafe (double, double) MeasureBandwidth(int threads, int trials)
    {
        byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)BandwidthBytes, 64);
        try
        {
            NativeMemory.Clear(buffer, (nuint)BandwidthBytes); // fault every page in before timing
            double Rate(int n)
            {
                long share = BandwidthBytes / n / 128 * 128;
                PeakLoops.Read(buffer, share); // JIT and warm the TLB
                double best = 0;
                for (int t = 0; t < trials; t++)
                {
                    double seconds = OnThreads(n, i => PeakLoops.Read(buffer + (i * share), share));
                    best = Math.Max(best, n * share / seconds / 1e9);
                }

                return best;
            }

            return (Rate(1), Rate(threads));
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>Runs <paramref name="work"/> on <paramref name="threads"/> threads released together; seconds until the last ends.</summary>
    private static double OnThreads(int threads, Func<int, float> work)
    {
        using var start = new Barrier(threads + 1);
        var sink = new float[threads];
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            sink[i] = work(i);
        })).ToArray();
        foreach (Thread w in workers)
        {
            w.Start();
        }

        start.SignalAndWait();
        long t0 = Stopwatch.GetTimestamp();
        foreach (Thread w in workers)
        {
            w.Join();
        }

        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        GC.KeepAlive(sink);
        return seconds;
    }

    /// <summary>torch.mm of two 2048×2048 matrices: GFLOP/s, median of <paramref name="runs"/>.</summary>
    public static double TorchMm(ScalarType dtype, int runs)
    {
        using var product = new PeakProduct(dtype);
        List<double> samples = Timing.Interleaved([product.Run], warmup: 2, count: runs)[0];
        return product.Gflops(Timing.Median(samples));
    }
}

/// <summary>torch.mm of two 2048×2048 matrices, libtorch's matrix-multiply peak.</summary>
internal sealed class PeakProduct : IDisposable
{
    public const int Size = 2048;
    private readonly Tensor _a, _b;

    public PeakProduct(ScalarType dtype)
    {
        using Tensor a = randn(Size, Size), b = randn(Size, Size);
        _a = a.to(dtype);
        _b = b.to(dtype);
    }

    /// <summary>GFLOP/s of a product that took <paramref name="ms"/>.</summary>
    public double Gflops(double ms) => Flops.SquareProduct(Size) / (ms * 1e6);

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
