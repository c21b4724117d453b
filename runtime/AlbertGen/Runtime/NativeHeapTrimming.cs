using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AlbertGen.Runtime;

/// <summary>
/// Hands the free pages of the C heap back to the system after inference runs, so that a long-running process whose
/// inputs vary in length keeps a flat resident memory. Off until <see cref="AlbertRuntime.ConfigureForInference"/> (or
/// <see cref="Enabled"/>) turns it on: it is a process-wide effect.
/// </summary>
/// <remarks>
/// <para>
/// libtorch takes its tensors from <c>malloc</c>. With glibc's default <em>dynamic</em> mmap threshold, activations of a
/// few megabytes move from their own mappings onto the heap after the first large one is freed, and when lengths vary,
/// the heap fragments: its free chunks stay resident and the resident set creeps up while live tensors stay flat. glibc's
/// <c>malloc_trim(0)</c> returns every whole free page of every arena to the system (<c>madvise</c>).
/// </para>
/// <para>
/// The creep comes back within a few calls, so the trim runs at the end of a run, on the thread that finished it, as often
/// as a time budget allows: the next trim waits until <see cref="BudgetFactor"/> times the previous trim's cost has passed
/// (at most about 2 % of the time). The cost counts the trim itself and the page faults that bring the released pages back
/// when the heap reuses them (estimated from how much the resident set shrank, at <see cref="RefaultBytesPerSecond"/>);
/// without that second part small passes, which free tens of megabytes each, would be trimmed after every pass.
/// <c>benchmarks/README.md</c> has the measurements behind these constants.
/// </para>
/// <para>
/// Only Linux with glibc is affected; elsewhere (or when <c>malloc_trim</c> is missing, as with musl) nothing is done.
/// <c>malloc_trim</c> releases memory that is already free and changes no allocator setting. All members are thread-safe.
/// </para>
/// </remarks>
internal static partial class NativeHeapTrimming
{
    /// <summary>A trim waits this many times the cost of the previous one: at most 1/50 = 2 % of the time.</summary>
    internal const int BudgetFactor = 50;

    /// <summary>
    /// How fast released pages fault back in when the heap reuses them (a page fault and zeroing per 4 KiB page); set below
    /// the rate measured (<c>benchmarks/README.md</c>) to err on the side of trimming less often.
    /// </summary>
    internal const long RefaultBytesPerSecond = 4L << 30;

    private static readonly TrimSchedule Schedule = new(Stopwatch.GetTimestamp, TrimHeap) { Enabled = false };
    private static volatile bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Whether inference runs trim the heap (default: false; <see cref="AlbertRuntime.ConfigureForInference"/> turns it on).</summary>
    internal static bool Enabled
    {
        get => Schedule.Enabled;
        set => Schedule.Enabled = value;
    }

    /// <summary>Called by inference sessions at the end of a run: trims if enabled and the time budget allows.</summary>
    internal static void AfterForward()
    {
        if (!_unavailable)
        {
            Schedule.Tick();
        }
    }

    /// <summary>Trims now, whatever the budget. Returns false where the C library has no <c>malloc_trim</c>.</summary>
    internal static bool TrimNow()
    {
        if (_unavailable)
        {
            return false;
        }

        _ = TrimHeap();
        return !_unavailable;
    }

    /// <summary>Trims; returns the estimated cost (<see cref="Stopwatch"/> ticks) of faulting the released pages back in.</summary>
    private static long TrimHeap()
    {
        try
        {
            long before = ResidentBytes();
            _ = MallocTrim(0);
            long released = Math.Max(0, before - ResidentBytes());
            return (long)(released / (double)RefaultBytesPerSecond * Stopwatch.Frequency);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return 0;
        }
    }

    /// <summary>Resident set size from <c>/proc/self/statm</c> (second field, in pages); 0 where it cannot be read.</summary>
    private static long ResidentBytes()
    {
        try
        {
            string statm = File.ReadAllText("/proc/self/statm");
            string[] fields = statm.Split(' ', 3);
            return fields.Length > 1 && long.TryParse(fields[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long pages)
                ? pages * Environment.SystemPageSize
                : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    /// <summary>
    /// When to trim: on a tick once <see cref="BudgetFactor"/> times the previous trim's cost has passed since it ended. The
    /// cost is the trim's own duration plus what the trim says its released pages will cost to fault back in. One thread
    /// trims; ticks meanwhile skip.
    /// </summary>
    internal sealed class TrimSchedule
    {
        private const long Trimming = long.MaxValue;
        private readonly Func<long> _clock;
        private readonly Func<long> _trim;
        private long _next;
        private volatile bool _enabled = true;

        /// <param name="clock">Current time in <see cref="Stopwatch"/> ticks.</param>
        /// <param name="trim">The trim; returns the estimated cost, in clock ticks, of faulting the released pages back in.</param>
        public TrimSchedule(Func<long> clock, Func<long> trim)
        {
            _clock = clock;
            _trim = trim;
            _next = long.MinValue;
        }

        /// <summary>Whether ticks trim at all.</summary>
        public bool Enabled
        {
            get => _enabled;
            set => _enabled = value;
        }

        /// <summary>Trims if the budget allows; returns whether this call trimmed.</summary>
        public bool Tick()
        {
            if (!_enabled)
            {
                return false;
            }

            long start = _clock();
            long next = Volatile.Read(ref _next);
            if (start < next || Interlocked.CompareExchange(ref _next, Trimming, next) != next)
            {
                return false;
            }

            long refault = 0;
            try
            {
                refault = Math.Max(0, _trim());
            }
            finally
            {
                long end = _clock();
                Volatile.Write(ref _next, end + ((end - start) + refault) * BudgetFactor);
            }

            return true;
        }
    }
}
