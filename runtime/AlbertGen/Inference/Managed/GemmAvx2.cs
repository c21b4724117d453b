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
internal static unsafe class GemmAvx2
{
    /// <summary>Rows of a full tile.</summary>
    public const int Rows = 6;

    /// <summary>Outputs of a tile (the panel width).</summary>
    public const int Columns = 16;

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
            default:
                throw new ArgumentOutOfRangeException(nameof(rows), rows, $"A avx2 tile has 1 to {Rows} rows.");
        }
    }

    [SkipLocalsInit]
    private static void Tile<TRows, TWeights>(float* a, nint aStride, byte* panel, int k, float* bias, float* c, nint cStride, int columns, bool accumulate)
        where TRows : struct, IRowCount
        where TWeights : struct, IPanelWeights
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        c00 = c10 = c20 = c30 = c40 = c50 = Vector256.Load(bias);
        c01 = c11 = c21 = c31 = c41 = c51 = Vector256.Load(bias + 8);
        if (accumulate)
        {
            c00 = Read(c, columns, 0);
            c01 = Read(c, columns, 8);
            if (TRows.Count > 1)
            {
                c10 = Read(c + 1 * cStride, columns, 0);
                c11 = Read(c + 1 * cStride, columns, 8);
            }

            if (TRows.Count > 2)
            {
                c20 = Read(c + 2 * cStride, columns, 0);
                c21 = Read(c + 2 * cStride, columns, 8);
            }

            if (TRows.Count > 3)
            {
                c30 = Read(c + 3 * cStride, columns, 0);
                c31 = Read(c + 3 * cStride, columns, 8);
            }

            if (TRows.Count > 4)
            {
                c40 = Read(c + 4 * cStride, columns, 0);
                c41 = Read(c + 4 * cStride, columns, 8);
            }

            if (TRows.Count > 5)
            {
                c50 = Read(c + 5 * cStride, columns, 0);
                c51 = Read(c + 5 * cStride, columns, 8);
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

        Write(c, columns, 0, c00);
        Write(c, columns, 8, c01);
        if (TRows.Count > 1)
        {
            Write(c + 1 * cStride, columns, 0, c10);
            Write(c + 1 * cStride, columns, 8, c11);
        }

        if (TRows.Count > 2)
        {
            Write(c + 2 * cStride, columns, 0, c20);
            Write(c + 2 * cStride, columns, 8, c21);
        }

        if (TRows.Count > 3)
        {
            Write(c + 3 * cStride, columns, 0, c30);
            Write(c + 3 * cStride, columns, 8, c31);
        }

        if (TRows.Count > 4)
        {
            Write(c + 4 * cStride, columns, 0, c40);
            Write(c + 4 * cStride, columns, 8, c41);
        }

        if (TRows.Count > 5)
        {
            Write(c + 5 * cStride, columns, 0, c50);
            Write(c + 5 * cStride, columns, 8, c51);
        }

    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Read(float* row, int columns, int offset) =>
        columns >= offset + Vector256<float>.Count ? Vector256.Load(row + offset) : ReadPartial(row + offset, columns - offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(float* row, int columns, int offset, Vector256<float> value)
    {
        if (columns >= offset + Vector256<float>.Count)
        {
            value.Store(row + offset);
        }
        else
        {
            WritePartial(row + offset, columns - offset, value);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<float> ReadPartial(float* source, int count)
    {
        float* buffer = stackalloc float[Vector256<float>.Count];
        Vector256<float>.Zero.Store(buffer);
        for (int j = 0; j < count; j++)
        {
            buffer[j] = source[j];
        }

        return Vector256.Load(buffer);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WritePartial(float* target, int count, Vector256<float> value)
    {
        float* buffer = stackalloc float[Vector256<float>.Count];
        value.Store(buffer);
        for (int j = 0; j < count; j++)
        {
            target[j] = buffer[j];
        }
    }
}
