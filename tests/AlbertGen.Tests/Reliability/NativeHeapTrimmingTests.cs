using AlbertGen.Inference;
using System.Diagnostics;
using System.Runtime.InteropServices;
using AlbertGen.Runtime;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Reliability;

/// <summary>
/// <see cref="NativeHeapTrimming"/>: when it trims (a fake clock), that a trim really hands freed heap pages back (page
/// residency from <c>mincore</c>, which other threads' allocations cannot disturb the way they would the process's RSS), and
/// that a model's forward pass is what triggers it.
/// </summary>
public sealed partial class NativeHeapTrimmingTests
{
    private const int BlockBytes = 64 << 10; // under glibc's smallest mmap threshold (128 KiB): these come from the heap
    private const int Blocks = 512;
    private const int KeepEvery = 8; // a kept block between freed runs stops them merging into the heap top

    [Fact]
    public void The_schedule_trims_within_its_time_budget_and_never_when_turned_off()
    {
        long now = 0;
        int trims = 0;
        var schedule = new NativeHeapTrimming.TrimSchedule(() => now, () => { trims++; now += 2; return 0; }); // a trim takes 2 ticks

        Assert.True(schedule.Tick()); // the first tick trims: ends at 2, next allowed at 2 + 2 · 50 = 102
        now = 101;
        Assert.False(schedule.Tick());
        now = 102;
        Assert.True(schedule.Tick()); // ends at 104: next at 204
        now = 203;
        Assert.False(schedule.Tick());
        Assert.Equal(2, trims);

        schedule.Enabled = false;
        now = 1_000_000;
        Assert.False(schedule.Tick());
        schedule.Enabled = true;
        Assert.True(schedule.Tick());
        Assert.Equal(3, trims);
    }

    [Fact]
    public void The_cost_of_faulting_released_pages_back_in_counts_against_the_budget()
    {
        long now = 0;
        var schedule = new NativeHeapTrimming.TrimSchedule(() => now, () => { now += 1; return 9; }); // 1 tick + 9 to refault
        Assert.True(schedule.Tick()); // ends at 1: next at 1 + (1 + 9) · 50 = 501
        now = 500;
        Assert.False(schedule.Tick());
        now = 501;
        Assert.True(schedule.Tick());
    }

    [Fact]
    public void A_trim_that_throws_still_books_its_time()
    {
        long now = 0;
        var schedule = new NativeHeapTrimming.TrimSchedule(() => now, () => { now += 1; throw new InvalidOperationException("trim"); });
        Assert.True(schedule.Enabled);
        Assert.Throws<InvalidOperationException>(() => schedule.Tick());
        now = 50;
        Assert.False(schedule.Tick()); // next at 1 + 50
        now = 51;
        Assert.Throws<InvalidOperationException>(() => schedule.Tick());
    }

    [Fact]
    public async Task Concurrent_ticks_trim_once()
    {
        int trims = 0;
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var schedule = new NativeHeapTrimming.TrimSchedule(() => 0, () =>
        {
            Interlocked.Increment(ref trims);
            inside.Set();
            release.Wait();
            return 0;
        });
        Task<bool> first = Task.Run(() => schedule.Tick());
        inside.Wait();
        bool[] others = Enumerable.Range(0, 8).AsParallel().Select(_ => schedule.Tick()).ToArray();
        release.Set();
        Assert.True(await first);

        Assert.All(others, Assert.False);
        Assert.Equal(1, trims);
    }

    [Fact]
    public void A_trim_hands_freed_heap_pages_back()
    {
        using var heap = new FragmentedHeap();
        Assert.True(NativeHeapTrimming.TrimNow());
        Assert.True(heap.FreedResidentFraction() < 0.5, $"{heap.FreedResidentFraction():P0} of the freed pages are still resident");
    }

    [Fact]
    public void Inference_runs_trim_the_heap_once_trimming_is_enabled()
    {
        using AlbertModel model = AlbertModel.FromPretrained(SharedFolder.Model("tiny"));
        using InferenceSession<AlbertModelOutput> session = model.CompileForInference();
        using var heap = new FragmentedHeap();
        bool wasEnabled = NativeHeapTrimming.Enabled;
        NativeHeapTrimming.Enabled = true; // what AlbertRuntime.ConfigureForInference turns on
        try
        {
            // The budget may make this pass skip its trim (another thread trimmed a moment ago, and the wait grows with
            // what that trim released); the next pass that is allowed one trims. Within 10 s one runs.
            var clock = Stopwatch.StartNew();
            while (heap.FreedResidentFraction() >= 0.5 && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(20);
                using AlbertModelOutput again = session.Run(new AlbertInputs { InputIds = tensor(new long[,] { { 2, 10, 3 } }) });
            }
        }
        finally
        {
            NativeHeapTrimming.Enabled = wasEnabled;
        }

        Assert.True(heap.FreedResidentFraction() < 0.5, $"{heap.FreedResidentFraction():P0} of the freed pages are still resident");
    }

    /// <summary>
    /// Many 64 KiB heap blocks, written to (resident), then all but every eighth freed: the freed runs stay resident in
    /// the middle of the heap until something trims it.
    /// </summary>
    private sealed unsafe class FragmentedHeap : IDisposable
    {
        private readonly nint[] _blocks = new nint[Blocks];

        public FragmentedHeap()
        {
            for (int i = 0; i < Blocks; i++)
            {
                _blocks[i] = (nint)NativeMemory.Alloc(BlockBytes);
                new Span<byte>((void*)_blocks[i], BlockBytes).Fill(1);
            }

            Assert.True(ResidentFraction(FreedPages()) > 0.9, "the blocks were written, so they should be resident");
            for (int i = 0; i < Blocks; i++)
            {
                if (i % KeepEvery != KeepEvery - 1)
                {
                    NativeMemory.Free((void*)_blocks[i]);
                }
            }
        }

        /// <summary>Share of the pages wholly inside the freed blocks that are still resident.</summary>
        public double FreedResidentFraction() => ResidentFraction(FreedPages());

        public void Dispose()
        {
            for (int i = KeepEvery - 1; i < Blocks; i += KeepEvery)
            {
                NativeMemory.Free((void*)_blocks[i]);
            }
        }

        private IEnumerable<nint> FreedPages()
        {
            long page = Environment.SystemPageSize;
            for (int i = 0; i < Blocks; i++)
            {
                if (i % KeepEvery == KeepEvery - 1)
                {
                    continue;
                }

                // Skip the first page: glibc keeps its chunk header and free-list links there.
                long first = ((long)_blocks[i] + page - 1) / page * page + page, end = ((long)_blocks[i] + BlockBytes) / page * page;
                for (long p = first; p < end; p += page)
                {
                    yield return (nint)p;
                }
            }
        }

        private static double ResidentFraction(IEnumerable<nint> pages)
        {
            int resident = 0, total = 0;
            byte state = 0;
            foreach (nint p in pages)
            {
                Assert.Equal(0, MinCore(p, 1, &state));
                resident += state & 1;
                total++;
            }

            return resident / (double)total;
        }
    }

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static unsafe partial int MinCore(nint address, nuint length, byte* residency);
}
