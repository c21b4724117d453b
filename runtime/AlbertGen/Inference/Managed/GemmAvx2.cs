using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AlbertGen.Inference.Managed;

/// <summary>
/// The AVX2 + FMA microkernel of the managed float32 products: a tile of up to 6 rows × 16 outputs held in 12 Vector256
/// accumulators over a stretch of k, one broadcast input and two panel loads per k feeding 12 FMAs. Written by hand
/// because libtorch's products lose to ONNX Runtime's MLAS at small shapes and on AVX2 (issue #25); the register blocking is what keeps the FMA
/// units busy instead of the loads.
/// </summary>
internal readonly unsafe struct GemmAvx2 : IGemmMicrokernel
{
    /// <summary>Rows of a full tile.</summary>
    public static int Rows => 6;

    /// <summary>Outputs of a tile (the panel width).</summary>
    public static int Columns => 16;

    // Fully optimised from the first call: a tiered-up loop (OSR) or a call inside it makes the JIT keep the accumulators
    // on the stack instead of in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TRows, TWeights>(float* a, nint aStride, byte* panel, int k, float* bias, float* c, nint cStride, bool accumulate)
        where TRows : struct, IRowCount
        where TWeights : struct, IPanelWeights
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        c00 = c10 = c20 = c30 = c40 = c50 = Vector256.Load(bias);
        c01 = c11 = c21 = c31 = c41 = c51 = Vector256.Load(bias + 8);
        if (accumulate)
        {
            c00 = Vector256.Load(c);
            c01 = Vector256.Load(c + 8);
            if (TRows.Count > 1)
            {
                c10 = Vector256.Load(c + 1 * cStride);
                c11 = Vector256.Load(c + 1 * cStride + 8);
            }

            if (TRows.Count > 2)
            {
                c20 = Vector256.Load(c + 2 * cStride);
                c21 = Vector256.Load(c + 2 * cStride + 8);
            }

            if (TRows.Count > 3)
            {
                c30 = Vector256.Load(c + 3 * cStride);
                c31 = Vector256.Load(c + 3 * cStride + 8);
            }

            if (TRows.Count > 4)
            {
                c40 = Vector256.Load(c + 4 * cStride);
                c41 = Vector256.Load(c + 4 * cStride + 8);
            }

            if (TRows.Count > 5)
            {
                c50 = Vector256.Load(c + 5 * cStride);
                c51 = Vector256.Load(c + 5 * cStride + 8);
            }

        }

        float* a0 = a, a1 = TRows.Count > 1 ? a + 1 * aStride : a, a2 = TRows.Count > 2 ? a + 2 * aStride : a, a3 = TRows.Count > 3 ? a + 3 * aStride : a, a4 = TRows.Count > 4 ? a + 4 * aStride : a, a5 = TRows.Count > 5 ? a + 5 * aStride : a;
        nint weight = 0;
        for (nint i = 0; i < k; i++, weight += 16)
        {
            Vector256<float> w0 = TWeights.Load8(panel, weight), w1 = TWeights.Load8(panel, weight + 8);
            Vector256<float> x = Vector256.Create(a0[i]);
            c00 = Fma.MultiplyAdd(x, w0, c00);
            c01 = Fma.MultiplyAdd(x, w1, c01);
            if (TRows.Count > 1)
            {
                x = Vector256.Create(a1[i]);
                c10 = Fma.MultiplyAdd(x, w0, c10);
                c11 = Fma.MultiplyAdd(x, w1, c11);
            }

            if (TRows.Count > 2)
            {
                x = Vector256.Create(a2[i]);
                c20 = Fma.MultiplyAdd(x, w0, c20);
                c21 = Fma.MultiplyAdd(x, w1, c21);
            }

            if (TRows.Count > 3)
            {
                x = Vector256.Create(a3[i]);
                c30 = Fma.MultiplyAdd(x, w0, c30);
                c31 = Fma.MultiplyAdd(x, w1, c31);
            }

            if (TRows.Count > 4)
            {
                x = Vector256.Create(a4[i]);
                c40 = Fma.MultiplyAdd(x, w0, c40);
                c41 = Fma.MultiplyAdd(x, w1, c41);
            }

            if (TRows.Count > 5)
            {
                x = Vector256.Create(a5[i]);
                c50 = Fma.MultiplyAdd(x, w0, c50);
                c51 = Fma.MultiplyAdd(x, w1, c51);
            }

        }

        c00.Store(c);
        c01.Store(c + 8);
        if (TRows.Count > 1)
        {
            c10.Store(c + 1 * cStride);
            c11.Store(c + 1 * cStride + 8);
        }

        if (TRows.Count > 2)
        {
            c20.Store(c + 2 * cStride);
            c21.Store(c + 2 * cStride + 8);
        }

        if (TRows.Count > 3)
        {
            c30.Store(c + 3 * cStride);
            c31.Store(c + 3 * cStride + 8);
        }

        if (TRows.Count > 4)
        {
            c40.Store(c + 4 * cStride);
            c41.Store(c + 4 * cStride + 8);
        }

        if (TRows.Count > 5)
        {
            c50.Store(c + 5 * cStride);
            c51.Store(c + 5 * cStride + 8);
        }
    }
}
