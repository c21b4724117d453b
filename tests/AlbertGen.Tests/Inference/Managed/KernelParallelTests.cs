using AlbertGen.Inference.Managed;

namespace AlbertGen.Tests.Inference.Managed;

/// <summary><see cref="KernelParallel"/>: every part runs exactly once, failures reach the caller, concurrent callers all finish.</summary>
public sealed class KernelParallelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Every_part_runs_exactly_once(int parts)
    {
        var counts = new int[parts];
        for (int round = 0; round < 50; round++)
        {
            KernelParallel.For(parts, i => Interlocked.Increment(ref counts[i]));
        }

        Assert.All(counts, c => Assert.Equal(50, c));
    }

    [Fact]
    public void A_failing_part_is_rethrown_after_every_other_part_ran()
    {
        int ran = 0;
        var failure = Assert.Throws<InvalidOperationException>(() => KernelParallel.For(16, i =>
        {
            Interlocked.Increment(ref ran);
            if (i == 5)
            {
                throw new InvalidOperationException("part 5");
            }
        }));

        Assert.Equal("part 5", failure.Message);
        Assert.Equal(16, ran);
        KernelParallel.For(4, _ => Interlocked.Increment(ref ran)); // the pool still works afterwards
        Assert.Equal(20, ran);
    }

    [Fact]
    public void Concurrent_callers_each_get_all_their_parts()
    {
        const int callers = 8, rounds = 200, parts = 9;
        long total = 0;
        Parallel.For(0, callers, new ParallelOptions { MaxDegreeOfParallelism = callers }, _ =>
        {
            for (int r = 0; r < rounds; r++)
            {
                int mine = 0;
                KernelParallel.For(parts, _ => Interlocked.Increment(ref mine));
                Assert.Equal(parts, mine);
                Interlocked.Add(ref total, mine);
            }
        });

        Assert.Equal((long)callers * rounds * parts, total);
    }

    [Fact]
    public void Zero_parts_runs_nothing()
    {
        KernelParallel.For(0, _ => throw new InvalidOperationException("must not run"));
        Assert.True(KernelParallel.Threads >= 1);
    }
}
