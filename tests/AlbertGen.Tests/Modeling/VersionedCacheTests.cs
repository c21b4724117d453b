using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>
/// The cache that keeps prepared weights between passes: one value while its source tensors are unchanged, a new one as soon
/// as any is changed in place, replaced or has no version, and no value disposed while a lease holds it.
/// </summary>
public sealed class VersionedCacheTests
{
    /// <summary>A value that records its disposal.</summary>
    private sealed class Probe : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }

    private sealed class Maker
    {
        public List<Probe> Made { get; } = [];

        public Probe Make()
        {
            var probe = new Probe();
            Made.Add(probe);
            return probe;
        }
    }

    private static Probe Use(VersionedCache<int, Probe> cache, Tensor[] sources, Maker maker, int key = 0)
    {
        using var lease = cache.Acquire(key, sources, maker.Make);
        return lease.Value;
    }

    [Fact]
    public void Versions_count_in_place_changes_including_through_views()
    {
        using Tensor t = zeros(4);
        long first = TensorVersions.Of(t)!.Value;
        t.add_(1);
        Assert.Equal(first + 1, TensorVersions.Of(t));
        using (Tensor row = t.narrow(0, 1, 2))
        {
            row.mul_(2);
        }

        Assert.Equal(first + 2, TensorVersions.Of(t));
    }

    [Fact]
    public void Inference_tensors_and_disposed_tensors_have_no_version()
    {
        Tensor disposed = zeros(2);
        disposed.Dispose();
        Assert.Null(TensorVersions.Of(disposed));
        using var inference = inference_mode();
        using Tensor made = zeros(2);
        Assert.Null(TensorVersions.Of(made));
    }

    [Fact]
    public void Unchanged_sources_share_one_value()
    {
        using Tensor a = ones(3), b = ones(2);
        using var cache = new VersionedCache<int, Probe>();
        var maker = new Maker();
        Probe first = Use(cache, [a, b], maker);
        Probe second = Use(cache, [a, b], maker);
        Assert.Same(first, second);
        Assert.Single(maker.Made);
        Assert.Equal(0, first.Disposals);
    }

    [Fact]
    public void An_in_place_change_makes_a_new_value_and_releases_the_old_one()
    {
        using Tensor a = ones(3), b = ones(2);
        using var cache = new VersionedCache<int, Probe>();
        var maker = new Maker();
        Probe first = Use(cache, [a, b], maker);
        b.mul_(2);
        Probe second = Use(cache, [a, b], maker);
        Assert.NotSame(first, second);
        Assert.Equal(1, first.Disposals);
        Assert.Same(second, Use(cache, [a, b], maker));
    }

    [Fact]
    public void A_replaced_source_or_another_key_makes_a_new_value()
    {
        using Tensor a = ones(3), b = ones(2), b2 = ones(2);
        using var cache = new VersionedCache<int, Probe>();
        var maker = new Maker();
        Use(cache, [a, b], maker);
        Use(cache, [a, b2], maker); // a replaced source
        Use(cache, [a, b2], maker, key: 1); // another key
        Probe fewer = Use(cache, [a], maker, key: 1); // fewer sources
        Assert.Equal(4, maker.Made.Distinct().Count());
        Assert.Equal([1, 1, 1, 0], maker.Made.Select(p => p.Disposals));
        Assert.Same(fewer, maker.Made[^1]);
    }

    [Fact]
    public void A_value_in_use_outlives_its_replacement_and_the_cache()
    {
        using Tensor a = ones(3);
        var cache = new VersionedCache<int, Probe>();
        var maker = new Maker();
        var held = cache.Acquire(0, [a], maker.Make);
        a.add_(1);
        Probe second = Use(cache, [a], maker);
        Assert.Equal(0, held.Value.Disposals); // stale, but still leased
        var heldAgain = cache.Acquire(0, [a], maker.Make);
        cache.Dispose();
        Assert.Equal(0, second.Disposals); // current value, leased: kept past the cache's disposal
        held.Dispose();
        held.Dispose(); // a second dispose of the same lease changes nothing
        Assert.Equal(1, maker.Made[0].Disposals);
        heldAgain.Dispose();
        Assert.Equal(1, second.Disposals);
    }

    [Fact]
    public void Sources_without_versions_are_never_kept()
    {
        using var cache = new VersionedCache<int, Probe>();
        var maker = new Maker();
        using var inference = inference_mode();
        using Tensor a = ones(3);
        Probe first = Use(cache, [a], maker);
        Probe second = Use(cache, [a], maker);
        Assert.NotSame(first, second);
        Assert.All(maker.Made, p => Assert.Equal(1, p.Disposals)); // each released when its lease ended
    }

    [Fact]
    public async Task Concurrent_leases_never_see_a_released_value()
    {
        using Tensor a = ones(3);
        var cache = new VersionedCache<int, Probe>();
        var maker = new Maker();
        int violations = 0;
        int Made()
        {
            lock (maker)
            {
                return maker.Made.Count;
            }
        }

        using var stop = new CancellationTokenSource();
        Task[] users = Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var lease = cache.Acquire(0, [a], () => { lock (maker) { return maker.Make(); } });
                Thread.SpinWait(50);
                if (lease.Value.Disposals != 0)
                {
                    Interlocked.Increment(ref violations);
                }
            }
        })).ToArray();
        for (int i = 0; i < 200; i++)
        {
            int before = Made();
            a.add_(1); // libtorch's version counter is atomic: reading it while this bumps it is safe
            Assert.True(SpinWait.SpinUntil(() => Made() > before, TimeSpan.FromSeconds(30)), "no user saw the change");
        }

        stop.Cancel();
        await Task.WhenAll(users);
        cache.Dispose();
        Assert.Equal(0, violations);
        Assert.True(maker.Made.Count >= 200, $"{maker.Made.Count} values for 200 changes");
        Assert.All(maker.Made, p => Assert.Equal(1, p.Disposals));
    }
}
