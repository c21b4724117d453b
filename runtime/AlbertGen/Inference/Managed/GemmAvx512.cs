using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlbertGen.Inference.Managed;

/// <summary>
/// The AVX-512 microkernel of the managed float32 products: a tile of up to 8 rows × 32 outputs held in 16 Vector512
/// accumulators over a stretch of k, one broadcast input and two panel loads per k feeding 16 FMAs. Written by hand
/// because libtorch's products lose to ONNX Runtime's MLAS at small shapes and on AVX2 (issue #25); the register blocking is what keeps the FMA
/// units busy instead of the loads.
/// </summary>
internal readonly unsafe struct GemmAvx512 : IGemmMicrokernel
{
    /// <summary>Rows of a full tile.</summary>
    public static int Rows => 8;

    /// <summary>Outputs of a tile (the panel width).</summary>
    public static int Columns => 32;

    // Fully optimised from the first call: a tiered-up loop (OSR) or a call inside it makes the JIT keep the accumulators
    // on the stack instead of in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TRows, TWeights>(float* a, nint aStride, byte* panel, int k, float* bias, float* c, nint cStride, bool accumulate)
        where TRows : struct, IRowCount
        where TWeights : struct, IPanelWeights
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        c00 = c10 = c20 = c30 = c40 = c50 = c60 = c70 = Vector512.Load(bias);
        c01 = c11 = c21 = c31 = c41 = c51 = c61 = c71 = Vector512.Load(bias + 16);
        if (accumulate)
        {
            c00 = Vector512.Load(c);
            c01 = Vector512.Load(c + 16);
            if (TRows.Count > 1)
            {
                c10 = Vector512.Load(c + 1 * cStride);
                c11 = Vector512.Load(c + 1 * cStride + 16);
            }

            if (TRows.Count > 2)
            {
                c20 = Vector512.Load(c + 2 * cStride);
                c21 = Vector512.Load(c + 2 * cStride + 16);
            }

            if (TRows.Count > 3)
            {
                c30 = Vector512.Load(c + 3 * cStride);
                c31 = Vector512.Load(c + 3 * cStride + 16);
            }

            if (TRows.Count > 4)
            {
                c40 = Vector512.Load(c + 4 * cStride);
                c41 = Vector512.Load(c + 4 * cStride + 16);
            }

            if (TRows.Count > 5)
            {
                c50 = Vector512.Load(c + 5 * cStride);
                c51 = Vector512.Load(c + 5 * cStride + 16);
            }

            if (TRows.Count > 6)
            {
                c60 = Vector512.Load(c + 6 * cStride);
                c61 = Vector512.Load(c + 6 * cStride + 16);
            }

            if (TRows.Count > 7)
            {
                c70 = Vector512.Load(c + 7 * cStride);
                c71 = Vector512.Load(c + 7 * cStride + 16);
            }

        }

        float* a0 = a, a1 = TRows.Count > 1 ? a + 1 * aStride : a, a2 = TRows.Count > 2 ? a + 2 * aStride : a, a3 = TRows.Count > 3 ? a + 3 * aStride : a, a4 = TRows.Count > 4 ? a + 4 * aStride : a, a5 = TRows.Count > 5 ? a + 5 * aStride : a, a6 = TRows.Count > 6 ? a + 6 * aStride : a, a7 = TRows.Count > 7 ? a + 7 * aStride : a;
        nint weight = 0;
        for (nint i = 0; i < k; i++, weight += 32)
        {
            Vector512<float> w0 = TWeights.Load16(panel, weight), w1 = TWeights.Load16(panel, weight + 16);
            Vector512<float> x = Vector512.Create(a0[i]);
            c00 = Avx512F.FusedMultiplyAdd(x, w0, c00);
            c01 = Avx512F.FusedMultiplyAdd(x, w1, c01);
            if (TRows.Count > 1)
            {
                x = Vector512.Create(a1[i]);
                c10 = Avx512F.FusedMultiplyAdd(x, w0, c10);
                c11 = Avx512F.FusedMultiplyAdd(x, w1, c11);
            }

            if (TRows.Count > 2)
            {
                x = Vector512.Create(a2[i]);
                c20 = Avx512F.FusedMultiplyAdd(x, w0, c20);
                c21 = Avx512F.FusedMultiplyAdd(x, w1, c21);
            }

            if (TRows.Count > 3)
            {
                x = Vector512.Create(a3[i]);
                c30 = Avx512F.FusedMultiplyAdd(x, w0, c30);
                c31 = Avx512F.FusedMultiplyAdd(x, w1, c31);
            }

            if (TRows.Count > 4)
            {
                x = Vector512.Create(a4[i]);
                c40 = Avx512F.FusedMultiplyAdd(x, w0, c40);
                c41 = Avx512F.FusedMultiplyAdd(x, w1, c41);
            }

            if (TRows.Count > 5)
            {
                x = Vector512.Create(a5[i]);
                c50 = Avx512F.FusedMultiplyAdd(x, w0, c50);
                c51 = Avx512F.FusedMultiplyAdd(x, w1, c51);
            }

            if (TRows.Count > 6)
            {
                x = Vector512.Create(a6[i]);
                c60 = Avx512F.FusedMultiplyAdd(x, w0, c60);
                c61 = Avx512F.FusedMultiplyAdd(x, w1, c61);
            }

            if (TRows.Count > 7)
            {
                x = Vector512.Create(a7[i]);
                c70 = Avx512F.FusedMultiplyAdd(x, w0, c70);
                c71 = Avx512F.FusedMultiplyAdd(x, w1, c71);
            }

        }

        c00.Store(c);
        c01.Store(c + 16);
        if (TRows.Count > 1)
        {
            c10.Store(c + 1 * cStride);
            c11.Store(c + 1 * cStride + 16);
        }

        if (TRows.Count > 2)
        {
            c20.Store(c + 2 * cStride);
            c21.Store(c + 2 * cStride + 16);
        }

        if (TRows.Count > 3)
        {
            c30.Store(c + 3 * cStride);
            c31.Store(c + 3 * cStride + 16);
        }

        if (TRows.Count > 4)
        {
            c40.Store(c + 4 * cStride);
            c41.Store(c + 4 * cStride + 16);
        }

        if (TRows.Count > 5)
        {
            c50.Store(c + 5 * cStride);
            c51.Store(c + 5 * cStride + 16);
        }

        if (TRows.Count > 6)
        {
            c60.Store(c + 6 * cStride);
            c61.Store(c + 6 * cStride + 16);
        }

        if (TRows.Count > 7)
        {
            c70.Store(c + 7 * cStride);
            c71.Store(c + 7 * cStride + 16);
        }
    }
}
