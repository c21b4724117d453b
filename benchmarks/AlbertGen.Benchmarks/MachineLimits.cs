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

    /// <summary>
    /// Managed 256-bit FMA loop, GFLOP/s: per core (per CPU-second of the thread that ran it) times the run's threads, the
    /// limit the percentages use; and what the run's threads got at once by the wall clock.
    /// </summary>
    public (double Limit, double WallClock) Fma256 { get; private set; } = (double.NaN, double.NaN);

    /// <summary>Managed 512-bit FMA loop, GFLOP/s (where the JIT has AVX-512).</summary>
    public (double Limit, double WallClock) Fma512 { get; private set; } = (double.NaN, double.NaN);

    /// <summary>Managed int8 loop on AVX2 (<c>vpmaddubsw</c>+<c>vpmaddwd</c>), GOP/s.</summary>
    public (double Limit, double WallClock) Int8Avx2 { get; private set; } = (double.NaN, double.NaN);

    /// <summary>Managed int8 loop on AVX-VNNI (<c>vpdpbusd</c>), GOP/s (where the JIT has AVX-VNNI).</summary>
    public (double Limit, double WallClock) Int8Vnni { get; private set; } = (double.NaN, double.NaN);

    /// <summary>
    /// Memory read bandwidth, GB/s (10⁹ bytes): the limit, the larger of the run's threads reading at once by the wall clock
    /// and one thread per CPU-second (bandwidth is shared, so it is not multiplied by the threads); and that one thread's rate.
    /// </summary>
    public (double Limit, double OneThread, double WallClock) Bandwidth { get; private set; } = (double.NaN, double.NaN, double.NaN);

    /// <summary>The float32 arithmetic limit of the run's threads: the widest managed FMA loop the JIT runs.</summary>
    public double Fp32Peak => double.IsNaN(Fma512.Limit) ? Fma256.Limit : Math.Max(Fma512.Limit, Fma256.Limit);

    /// <summary>The int8 arithmetic limit: VNNI where the JIT has it, else the AVX2 sequence.</summary>
    public double Int8Peak => double.IsNaN(Int8Vnni.Limit) ? Int8Avx2.Limit : Int8Vnni.Limit;

    /// <summary>
    /// Measures the managed loops and the bandwidth and prints them as a table. Each is the best of <paramref name="trials"/>
    /// short runs (≈ 20 ms). The arithmetic limits are per core, from each thread's own CPU time, times the threads: on a
    /// shared machine the wall clock measures how much of the cores the run got, while a thread's CPU time measures what a
    /// core does while it runs the loop.
    /// </summary>
    public void MeasureManaged(int threads, int trials)
    {
        Console.WriteLine($"| limit | per core (per thread CPU-second) | × {threads} threads: the limit used | {threads} threads at once, wall clock (what this run got) | what |");
        Console.WriteLine("| --- | ---: | ---: | ---: | --- |");
        (double, double) Loop(string name, string? whyNot, Func<long, float> loop, long iterations, double opsPerIteration, string unit, string what)
        {
            if (whyNot is not null)
            {
                Console.WriteLine($"| {name} | – | – | – | not run: {whyNot} |");
                return (double.NaN, double.NaN);
            }

            loop(iterations / 100); // compile and warm up
            double perCore = 0, wall = 0;
            for (int t = 0; t < trials; t++)
            {
                (double seconds, double cpuSeconds) = OnThreads(threads, _ => loop(iterations));
                perCore = Math.Max(perCore, iterations * opsPerIteration / cpuSeconds / 1e9);
                wall = Math.Max(wall, threads * iterations * opsPerIteration / seconds / 1e9);
            }

            Console.WriteLine($"| {name} | {perCore:0.0} {unit} | {threads * perCore:0.0} {unit} | {wall:0.0} {unit} | {what} |");
            return (threads * perCore, wall);
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
        Console.WriteLine($"| memory read bandwidth ({BandwidthBytes >> 20} MiB buffer) | {Bandwidth.OneThread:0.0} GB/s (one thread) | – | {Bandwidth.WallClock:0.0} GB/s (the limit used is the larger of the two: {Bandwidth.Limit:0.0} GB/s) | 256-bit loads, the buffer split between the threads; shared, so not multiplied |");
    }

    private static unsafe (double Limit, double OneThread, double WallClock) MeasureBandwidth(int threads, int trials)
    {
        byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)BandwidthBytes, 64);
        try
        {
            NativeMemory.Clear(buffer, (nuint)BandwidthBytes); // fault every page in before timing
            long share = BandwidthBytes / threads / 128 * 128;
            PeakLoops.Read(buffer, share); // compile and warm the TLB
            double oneThread = 0, all = 0;
            for (int t = 0; t < trials; t++)
            {
                (_, double cpuSeconds) = OnThreads(1, _ => PeakLoops.Read(buffer, BandwidthBytes));
                oneThread = Math.Max(oneThread, BandwidthBytes / cpuSeconds / 1e9);
                (double seconds, _) = OnThreads(threads, i => PeakLoops.Read(buffer + (i * share), share));
                all = Math.Max(all, threads * share / seconds / 1e9);
            }

            // On a quiet machine the threads together read the most; on a loaded one a single thread's rate per CPU-second
            // is closer to what the memory delivers than a wall clock shared with other processes.
            return (Math.Max(all, oneThread), oneThread, all);
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on <paramref name="threads"/> threads released together: seconds until the last ends,
    /// and the CPU seconds of the thread that used the most.
    /// </summary>
    private static (double Seconds, double CpuSeconds) OnThreads(int threads, Func<int, float> work)
    {
        using var start = new Barrier(threads + 1);
        var sink = new float[threads];
        var cpu = new double[threads];
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            double before = ThreadCpuSeconds();
            sink[i] = work(i);
            cpu[i] = ThreadCpuSeconds() - before;
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
        double cpuSeconds = cpu.Max();
        return (seconds, double.IsNaN(cpuSeconds) || cpuSeconds <= 0 ? seconds : cpuSeconds);
    }

    /// <summary>CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), or NaN where it cannot be read.</summary>
    private static double ThreadCpuSeconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return double.NaN;
        }

        return ClockGetTime(ClockThreadCpuTime, out TimeSpec now) == 0 ? now.Seconds + (now.Nanoseconds * 1e-9) : double.NaN;
    }

    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

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
