namespace AlbertGen.Inference.Managed;

/// <summary>
/// Splits a managed kernel's work across the cores: the calling thread and a few dedicated workers take parts from one
/// counter. Written here rather than taken from <c>Parallel.For</c> because a forward pass has hundreds of regions of a few
/// microseconds each, where the thread pool's scheduling and its hill-climbing cost as much as the work, and because the
/// workers must sleep between calls (no core left burning) yet wake within microseconds during a pass.
/// </summary>
/// <remarks>
/// One region runs at a time on the workers; a call that finds them busy (another thread's session running) runs its
/// parts on its own thread, so concurrent callers each keep their own core and nothing queues behind anything. Workers
/// spin briefly after a region (a pass's next region usually follows within microseconds), then block.
/// </remarks>
internal static class KernelParallel
{
    private static readonly Lazy<Pool> Shared = new(() => new Pool(Math.Max(1, Environment.ProcessorCount)));

    /// <summary>How many threads a region can run on (the caller included).</summary>
    public static int Threads => Shared.Value.Threads;

    /// <summary>Runs <paramref name="part"/> for every index in <c>[0, parts)</c>, spread over the threads; returns when all are done.</summary>
    /// <remarks>Exceptions from parts are rethrown on the caller (the first one; the region still waits for every part).</remarks>
    public static void For(int parts, Action<int> part)
    {
        ArgumentNullException.ThrowIfNull(part);
        if (parts <= 0)
        {
            return;
        }

        if (parts == 1 || !Shared.Value.TryRun(parts, part))
        {
            // Inline (workers busy): every part still runs, and the first failure is rethrown after them, as on the workers.
            Exception? failure = null;
            for (int i = 0; i < parts; i++)
            {
                try
                {
                    part(i);
                }
                catch (Exception e)
                {
                    failure ??= e;
                }
            }

            if (failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
            }
        }
    }

    private sealed class Pool
    {
        // About 50-100 µs: a pass's regions follow each other within microseconds, and waking a blocked thread costs
        // 5-20 µs, so workers spin that long after a region before they block (between calls nothing keeps spinning).
        private const int SpinChecks = 2_000;

        private readonly SemaphoreSlim _wake = new(0);
        private readonly int _workers;
        private int _busy;
        private int _generation;
        private int _sleepers;
        private Region? _region;

        public Pool(int threads)
        {
            Threads = threads;
            _workers = threads - 1;
            for (int i = 0; i < _workers; i++)
            {
                new Thread(Work) { IsBackground = true, Name = $"AlbertGen kernel {i + 1}" }.Start();
            }
        }

        public int Threads { get; }

        public bool TryRun(int parts, Action<int> part)
        {
            if (_workers == 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            {
                return false;
            }

            try
            {
                var region = new Region(parts, part);
                Volatile.Write(ref _region, region);
                Interlocked.Increment(ref _generation);
                int sleeping = Volatile.Read(ref _sleepers);
                if (sleeping > 0)
                {
                    _wake.Release(Math.Min(sleeping, parts - 1));
                }

                region.Take();
                region.WaitAll();
                Volatile.Write(ref _region, null);
                region.ThrowIfFailed();
                return true;
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        private void Work()
        {
            int seen = Volatile.Read(ref _generation);
            while (true)
            {
                if (!AwaitGeneration(ref seen))
                {
                    // Announce the sleep, then look once more: a region started in between is either seen here or wakes us.
                    Interlocked.Increment(ref _sleepers);
                    if (Volatile.Read(ref _generation) == seen)
                    {
                        _wake.Wait();
                    }

                    Interlocked.Decrement(ref _sleepers);
                    seen = Volatile.Read(ref _generation);
                }

                Volatile.Read(ref _region)?.Take();
            }
        }

        /// <summary>Spins until a new region starts (true, <paramref name="seen"/> updated) or the spin runs out (false).</summary>
        private bool AwaitGeneration(ref int seen)
        {
            for (int i = 0; i < SpinChecks; i++)
            {
                int now = Volatile.Read(ref _generation);
                if (now != seen)
                {
                    seen = now;
                    return true;
                }

                Thread.SpinWait(20);
            }

            return false;
        }
    }

    private sealed class Region
    {
        private readonly int _parts;
        private readonly Action<int> _part;
        private int _next = -1;
        private int _remaining;
        private Exception? _failure;

        public Region(int parts, Action<int> part)
        {
            _parts = parts;
            _part = part;
            _remaining = parts;
        }

        /// <summary>Runs parts until none is left.</summary>
        public void Take()
        {
            int i;
            while ((i = Interlocked.Increment(ref _next)) < _parts)
            {
                try
                {
                    _part(i);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                }
                finally
                {
                    Interlocked.Decrement(ref _remaining);
                }
            }
        }

        public void WaitAll()
        {
            var spin = new SpinWait();
            while (Volatile.Read(ref _remaining) > 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        public void ThrowIfFailed()
        {
            if (_failure is { } failure)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
            }
        }
    }
}
