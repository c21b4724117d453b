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
internal static unsafe class GemmAvx512
{
    /// <summary>Rows of a full tile.</summary>
    public const int Rows = 8;

    /// <summary>Outputs of a tile (the panel width).</summary>
    public const int Columns = 32;

    /// <summary>
    /// <c>c[r, j] = bias[j] + Σ a[r, i]·w[i, j]</c> over <paramref name="k"/> inputs (added to c when
    /// <paramref name="accumulate"/>) for <paramref name="rows"/> ≤ <see cref="Rows"/> rows and the first
    /// <paramref name="columns"/> ≤ <see cref="Columns"/> outputs of <paramref name="panel"/>.
    /// </summary>
    public static void Tile(int rows, ManagedWeightStorage storage, float* a, nint aStride, byte* panel, int k, float* bias, float* c, nint cStride, int columns, bool accumulate)
    {
        if (storage == ManagedWeightStorage.BFloat16)
        {
            Tile<BFloat16Weights>(rows, a, aStride, panel, k, bias, c, cStride, columns, accumulate);
        }
        else
        {
            Tile<Float32Weights>(rows, a, aStride, panel, k, bias, c, cStride, columns, accumulate);
        }
    }

    private static void Tile<TWeights>(int rows, float* a, nint aStride, byte* panel, int k, float* bias, float* c, nint cStride, int columns, bool accumulate)
        where TWeights : struct, IPanelWeights
    {
        switch (rows)
        {
            case 1:
                Tile<Rows1, TWeights>(a, aStride, panel, k, bias, c, cStride, columns, accumulate);
                break;
            case 2:
                Tile<Rows2, TWeights>(a, aStride, panel, k, bias, c, cStride, columns, accumulate);
                break;
            case 3:
                Tile<Rows3, TWeights>(a, aStride, panel, k, bias, c, cStride, columns, accumulate);
                break;
            case 4:
                Tile<Rows4, TWeights>(a, aStride, panel, k, bias, c, cStride, columns, accumulate);
                break;
            case 5:
                Tile<Rows5, TWeights>(a, aStride, panel, k, bias, c, cStride, columns, accumulate);
                break;
            case 6:
                Tile<Rows6, TWeights>(a, aStride, panel, k, bias, c, cStride, columns, accumulate);
                break;
            case 7:
                Tile<Rows7, TWeights>(a, aStride, panel, k, bias, c, cStride, columns, accumulate);
                break;
            case 8:
                Tile<Rows8, TWeights>(a, aStride, panel, k, bias, c, cStride, columns, accumulate);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(rows), rows, $"A avx512 tile has 1 to {Rows} rows.");
        }
    }

    [SkipLocalsInit]
    private static void Tile<TRows, TWeights>(float* a, nint aStride, byte* panel, int k, float* bias, float* c, nint cStride, int columns, bool accumulate)
        where TRows : struct, IRowCount
        where TWeights : struct, IPanelWeights
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        c00 = c10 = c20 = c30 = c40 = c50 = c60 = c70 = Vector512.Load(bias);
        c01 = c11 = c21 = c31 = c41 = c51 = c61 = c71 = Vector512.Load(bias + 16);
        if (accumulate)
        {
            c00 = Read(c, columns, 0);
            c01 = Read(c, columns, 16);
            if (TRows.Count > 1)
            {
                c10 = Read(c + 1 * cStride, columns, 0);
                c11 = Read(c + 1 * cStride, columns, 16);
            }

            if (TRows.Count > 2)
            {
                c20 = Read(c + 2 * cStride, columns, 0);
                c21 = Read(c + 2 * cStride, columns, 16);
            }

            if (TRows.Count > 3)
            {
                c30 = Read(c + 3 * cStride, columns, 0);
                c31 = Read(c + 3 * cStride, columns, 16);
            }

            if (TRows.Count > 4)
            {
                c40 = Read(c + 4 * cStride, columns, 0);
                c41 = Read(c + 4 * cStride, columns, 16);
            }

            if (TRows.Count > 5)
            {
                c50 = Read(c + 5 * cStride, columns, 0);
                c51 = Read(c + 5 * cStride, columns, 16);
            }

            if (TRows.Count > 6)
            {
                c60 = Read(c + 6 * cStride, columns, 0);
                c61 = Read(c + 6 * cStride, columns, 16);
            }

            if (TRows.Count > 7)
            {
                c70 = Read(c + 7 * cStride, columns, 0);
                c71 = Read(c + 7 * cStride, columns, 16);
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

        Write(c, columns, 0, c00);
        Write(c, columns, 16, c01);
        if (TRows.Count > 1)
        {
            Write(c + 1 * cStride, columns, 0, c10);
            Write(c + 1 * cStride, columns, 16, c11);
        }

        if (TRows.Count > 2)
        {
            Write(c + 2 * cStride, columns, 0, c20);
            Write(c + 2 * cStride, columns, 16, c21);
        }

        if (TRows.Count > 3)
        {
            Write(c + 3 * cStride, columns, 0, c30);
            Write(c + 3 * cStride, columns, 16, c31);
        }

        if (TRows.Count > 4)
        {
            Write(c + 4 * cStride, columns, 0, c40);
            Write(c + 4 * cStride, columns, 16, c41);
        }

        if (TRows.Count > 5)
        {
            Write(c + 5 * cStride, columns, 0, c50);
            Write(c + 5 * cStride, columns, 16, c51);
        }

        if (TRows.Count > 6)
        {
            Write(c + 6 * cStride, columns, 0, c60);
            Write(c + 6 * cStride, columns, 16, c61);
        }

        if (TRows.Count > 7)
        {
            Write(c + 7 * cStride, columns, 0, c70);
            Write(c + 7 * cStride, columns, 16, c71);
        }

    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Read(float* row, int columns, int offset) =>
        columns >= offset + Vector512<float>.Count ? Vector512.Load(row + offset) : ReadPartial(row + offset, columns - offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(float* row, int columns, int offset, Vector512<float> value)
    {
        if (columns >= offset + Vector512<float>.Count)
        {
            value.Store(row + offset);
        }
        else
        {
            WritePartial(row + offset, columns - offset, value);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector512<float> ReadPartial(float* source, int count)
    {
        float* buffer = stackalloc float[Vector512<float>.Count];
        Vector512<float>.Zero.Store(buffer);
        for (int j = 0; j < count; j++)
        {
            buffer[j] = source[j];
        }

        return Vector512.Load(buffer);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WritePartial(float* target, int count, Vector512<float> value)
    {
        float* buffer = stackalloc float[Vector512<float>.Count];
        value.Store(buffer);
        for (int j = 0; j < count; j++)
        {
            target[j] = buffer[j];
        }
    }
}
