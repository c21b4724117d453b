using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlbertGen.Benchmarks;

/// <summary>
/// Hand-written loops that measure what the CPU can do at most: float32 FMA and int8 multiply-add throughput from
/// registers, and memory read bandwidth from a buffer far larger than the L3. They are written with intrinsics because the
/// measure must be of the instructions the kernels use (<c>vfmadd</c>, <c>vpmaddubsw</c>+<c>vpmaddwd</c>,
/// <c>vpdpbusd</c>) and not of what a compiler makes of a scalar loop. Each loop returns a value derived from every
/// accumulator so that the JIT cannot drop it, and is compiled fully optimised at once (<c>AggressiveOptimization</c>):
/// tiered compilation would first run it as tier-0 code patched into an on-stack-replacement variant, whose vector locals
/// live on the stack (the FMA loop measured a third of its speed that way).
/// </summary>
internal static unsafe class PeakLoops
{
    /// <summary>Independent accumulators: more than latency × ports (4 × 2 on current x86), so the loop is bound by throughput.</summary>
    private const int Accumulators = 12;

    /// <summary>Floating-point operations of one iteration of <see cref="Fma256"/> (12 FMAs × 8 lanes × 2).</summary>
    public const double Fma256FlopsPerIteration = Accumulators * 8 * 2;

    /// <summary>Floating-point operations of one iteration of <see cref="Fma512"/> (12 FMAs × 16 lanes × 2).</summary>
    public const double Fma512FlopsPerIteration = Accumulators * 16 * 2;

    /// <summary>Integer operations (multiply-add = 2) of one iteration of the int8 loops: 8 products of 32 u8×s8 pairs.</summary>
    public const double Int8OpsPerIteration = 8 * 32 * 2;

    /// <summary>Bytes of the activation table the int8 loops load from (L1-resident, as a microkernel's packed panel would be).</summary>
    private const int TableBytes = 4096;

    /// <summary>Whether <see cref="Fma512"/> can run (the JIT reports AVX-512F and Vector512 as accelerated).</summary>
    public static bool Fma512Supported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Whether <see cref="Int8Vnni"/> can run: .NET exposes <c>vpdpbusd</c> only as AVX-VNNI (VEX); AVX512-VNNI alone does not count.</summary>
    public static bool VnniSupported => AvxVnni.IsSupported;

    /// <summary><paramref name="iterations"/> rounds of 12 independent 256-bit FMAs.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Fma256(long iterations)
    {
        if (!Fma.IsSupported)
        {
            throw new PlatformNotSupportedException("FMA is not supported.");
        }

        Vector256<float> m = Vector256.Create(0.999999f), a = Vector256.Create(1e-6f);
        Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        Vector256<float> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Fma.MultiplyAdd(c0, m, a);
            c1 = Fma.MultiplyAdd(c1, m, a);
            c2 = Fma.MultiplyAdd(c2, m, a);
            c3 = Fma.MultiplyAdd(c3, m, a);
            c4 = Fma.MultiplyAdd(c4, m, a);
            c5 = Fma.MultiplyAdd(c5, m, a);
            c6 = Fma.MultiplyAdd(c6, m, a);
            c7 = Fma.MultiplyAdd(c7, m, a);
            c8 = Fma.MultiplyAdd(c8, m, a);
            c9 = Fma.MultiplyAdd(c9, m, a);
            c10 = Fma.MultiplyAdd(c10, m, a);
            c11 = Fma.MultiplyAdd(c11, m, a);
        }

        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    /// <summary><paramref name="iterations"/> rounds of 12 independent 512-bit FMAs.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Fma512(long iterations)
    {
        if (!Fma512Supported)
        {
            throw new PlatformNotSupportedException("AVX-512F is not supported.");
        }

        Vector512<float> m = Vector512.Create(0.999999f), a = Vector512.Create(1e-6f);
        Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        Vector512<float> c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, m, a);
            c1 = Avx512F.FusedMultiplyAdd(c1, m, a);
            c2 = Avx512F.FusedMultiplyAdd(c2, m, a);
            c3 = Avx512F.FusedMultiplyAdd(c3, m, a);
            c4 = Avx512F.FusedMultiplyAdd(c4, m, a);
            c5 = Avx512F.FusedMultiplyAdd(c5, m, a);
            c6 = Avx512F.FusedMultiplyAdd(c6, m, a);
            c7 = Avx512F.FusedMultiplyAdd(c7, m, a);
            c8 = Avx512F.FusedMultiplyAdd(c8, m, a);
            c9 = Avx512F.FusedMultiplyAdd(c9, m, a);
            c10 = Avx512F.FusedMultiplyAdd(c10, m, a);
            c11 = Avx512F.FusedMultiplyAdd(c11, m, a);
        }

        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    /// <summary>
    /// <paramref name="iterations"/> rounds of 8 int8 products on AVX2 (<c>vpmaddubsw</c> u8×s8 → s16 pairs, <c>vpmaddwd</c> by
    /// ones → s32, <c>vpaddd</c> into the accumulator), each round loading one activation vector from an L1-resident table
    /// as a microkernel would; the 8 weight vectors stay in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static int Int8Avx2(long iterations)
    {
        if (!Avx2.IsSupported)
        {
            throw new PlatformNotSupportedException("AVX2 is not supported.");
        }

        byte* table = Table();
        try
        {
            Vector256<short> ones = Vector256.Create((short)1);
            Vector256<sbyte> w0 = Vector256.Create((sbyte)1), w1 = Vector256.Create((sbyte)-2), w2 = Vector256.Create((sbyte)3), w3 = Vector256.Create((sbyte)-4);
            Vector256<sbyte> w4 = Vector256.Create((sbyte)5), w5 = Vector256.Create((sbyte)-6), w6 = Vector256.Create((sbyte)7), w7 = Vector256.Create((sbyte)-8);
            Vector256<int> c0 = Vector256<int>.Zero, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
            const int mask = TableBytes - 32;
            for (long i = 0; i < iterations; i++)
            {
                Vector256<byte> x = Avx.LoadVector256(table + ((i * 32) & mask));
                c0 = Avx2.Add(c0, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w0), ones));
                c1 = Avx2.Add(c1, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w1), ones));
                c2 = Avx2.Add(c2, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w2), ones));
                c3 = Avx2.Add(c3, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w3), ones));
                c4 = Avx2.Add(c4, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w4), ones));
                c5 = Avx2.Add(c5, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w5), ones));
                c6 = Avx2.Add(c6, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w6), ones));
                c7 = Avx2.Add(c7, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w7), ones));
            }

            return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7);
        }
        finally
        {
            NativeMemory.AlignedFree(table);
        }
    }

    /// <summary>As <see cref="Int8Avx2"/>, with one <c>vpdpbusd</c> (AVX-VNNI) per product instead of three instructions.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static int Int8Vnni(long iterations)
    {
        if (!VnniSupported)
        {
            throw new PlatformNotSupportedException("AVX-VNNI is not supported.");
        }

        byte* table = Table();
        try
        {
            Vector256<sbyte> w0 = Vector256.Create((sbyte)1), w1 = Vector256.Create((sbyte)-2), w2 = Vector256.Create((sbyte)3), w3 = Vector256.Create((sbyte)-4);
            Vector256<sbyte> w4 = Vector256.Create((sbyte)5), w5 = Vector256.Create((sbyte)-6), w6 = Vector256.Create((sbyte)7), w7 = Vector256.Create((sbyte)-8);
            Vector256<int> c0 = Vector256<int>.Zero, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
            const int mask = TableBytes - 32;
            for (long i = 0; i < iterations; i++)
            {
                Vector256<byte> x = Avx.LoadVector256(table + ((i * 32) & mask));
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, x, w0);
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, x, w1);
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, x, w2);
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, x, w3);
                c4 = AvxVnni.MultiplyWideningAndAdd(c4, x, w4);
                c5 = AvxVnni.MultiplyWideningAndAdd(c5, x, w5);
                c6 = AvxVnni.MultiplyWideningAndAdd(c6, x, w6);
                c7 = AvxVnni.MultiplyWideningAndAdd(c7, x, w7);
            }

            return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7);
        }
        finally
        {
            NativeMemory.AlignedFree(table);
        }
    }

    /// <summary>
    /// Reads <paramref name="bytes"/> bytes from <paramref name="buffer"/> (64-byte aligned, a multiple of 128) once, four
    /// independent 256-bit sums so that the loads, not the adds, bound the loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Read(byte* buffer, long bytes)
    {
        Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        for (long at = 0; at < bytes; at += 128)
        {
            float* p = (float*)(buffer + at);
            s0 += Vector256.LoadAligned(p);
            s1 += Vector256.LoadAligned(p + 8);
            s2 += Vector256.LoadAligned(p + 16);
            s3 += Vector256.LoadAligned(p + 24);
        }

        return Vector256.Sum(s0 + s1 + s2 + s3);
    }

    private static byte* Table()
    {
        byte* table = (byte*)NativeMemory.AlignedAlloc(TableBytes, 64);
        for (int i = 0; i < TableBytes; i++)
        {
            table[i] = (byte)(i * 7 % 128); // 7-bit activations, as the AVX2 kernels use, so vpmaddubsw never saturates
        }

        return table;
    }
}
