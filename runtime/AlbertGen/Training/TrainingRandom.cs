namespace AlbertGen.Training;

/// <summary>
/// The seeded random source of the data pipeline: xoshiro256** seeded through SplitMix64. Unlike
/// <see cref="System.Random"/> its whole state is four numbers, so it can be saved in a checkpoint and the
/// algorithm is fixed by this file, not by the .NET version.
/// </summary>
internal sealed class TrainingRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator from a seed and optional stream numbers (e.g. epoch), each mixed in.</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="streams">Further numbers that select an independent stream (epoch, purpose, …).</param>
    public TrainingRandom(long seed, params long[] streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ulong x = unchecked((ulong)seed);
        foreach (long s in streams)
        {
            x = SplitMix(ref x) ^ unchecked((ulong)s * 0xD1B54A32D192ED03UL);
        }

        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>The generator's state (four 64-bit words), to save in a checkpoint.</summary>
    public ulong[] State
    {
        get => [_s0, _s1, _s2, _s3];
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Length != 4 || (value[0] | value[1] | value[2] | value[3]) == 0)
            {
                throw new ArgumentException("A generator state is four 64-bit words, not all zero.", nameof(value));
            }

            (_s0, _s1, _s2, _s3) = (value[0], value[1], value[2], value[3]);
        }
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    /// <param name="maxExclusive">The bound, at least 1.</param>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        ulong bound = (ulong)maxExclusive;
        ulong limit = ulong.MaxValue - (ulong.MaxValue % bound);
        ulong r;
        do
        {
            r = NextUInt64();
        }
        while (r >= limit);
        return (int)(r % bound);
    }

    /// <summary>A uniform integer in [<paramref name="min"/>, <paramref name="maxInclusive"/>] (Python's <c>randint</c>).</summary>
    /// <param name="min">Smallest value.</param>
    /// <param name="maxInclusive">Largest value, at least <paramref name="min"/>.</param>
    public int NextInclusive(int min, int maxInclusive) => min + Next(maxInclusive - min + 1);

    /// <summary>Shuffles a list in place (Fisher–Yates).</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="list">The list.</param>
    public void Shuffle<T>(IList<T> list)
    {
        ArgumentNullException.ThrowIfNull(list);
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
