namespace AlbertGen.Inference.Managed;

/// <summary>A register-blocked microkernel of the managed float32 products (<see cref="GemmAvx2"/>, <see cref="GemmAvx512"/>).</summary>
internal unsafe interface IGemmMicrokernel
{
    /// <summary>Rows of a full tile.</summary>
    static abstract int Rows { get; }

    /// <summary>Outputs of a tile (the panel width).</summary>
    static abstract int Columns { get; }

    /// <summary>
    /// <c>c[r, j] = bias[j] + Σ a[r, i]·w[i, j]</c> over <paramref name="k"/> inputs (added to c when
    /// <paramref name="accumulate"/>) for <typeparamref name="TRows"/> ≤ <see cref="Rows"/> rows and all
    /// <see cref="Columns"/> outputs of <paramref name="panel"/> (a narrower last panel goes through a full-width buffer).
    /// </summary>
    static abstract void Tile<TRows, TWeights>(float* a, nint aStride, byte* panel, int k, float* bias, float* c, nint cStride, bool accumulate)
        where TRows : struct, IRowCount
        where TWeights : struct, IPanelWeights;
}

/// <summary>Calls a microkernel's body for a row count and weight storage known only at run time.</summary>
internal static unsafe class GemmMicrokernels
{
    /// <summary>One tile of <paramref name="rows"/> rows (1 to the kernel's <see cref="IGemmMicrokernel.Rows"/>).</summary>
    public static void Tile<TKernel>(int rows, ManagedWeightStorage storage, float* a, nint aStride, byte* panel, int k, float* bias, float* c, nint cStride, bool accumulate)
        where TKernel : struct, IGemmMicrokernel
    {
        if (rows < 1 || rows > TKernel.Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"A {typeof(TKernel).Name} tile has 1 to {TKernel.Rows} rows.");
        }

        if (storage == ManagedWeightStorage.BFloat16)
        {
            Tile<TKernel, BFloat16Weights>(rows, a, aStride, panel, k, bias, c, cStride, accumulate);
        }
        else
        {
            Tile<TKernel, Float32Weights>(rows, a, aStride, panel, k, bias, c, cStride, accumulate);
        }
    }

    private static void Tile<TKernel, TWeights>(int rows, float* a, nint aStride, byte* panel, int k, float* bias, float* c, nint cStride, bool accumulate)
        where TKernel : struct, IGemmMicrokernel
        where TWeights : struct, IPanelWeights
    {
        switch (rows)
        {
            case 1:
                TKernel.Tile<Rows1, TWeights>(a, aStride, panel, k, bias, c, cStride, accumulate);
                break;
            case 2:
                TKernel.Tile<Rows2, TWeights>(a, aStride, panel, k, bias, c, cStride, accumulate);
                break;
            case 3:
                TKernel.Tile<Rows3, TWeights>(a, aStride, panel, k, bias, c, cStride, accumulate);
                break;
            case 4:
                TKernel.Tile<Rows4, TWeights>(a, aStride, panel, k, bias, c, cStride, accumulate);
                break;
            case 5:
                TKernel.Tile<Rows5, TWeights>(a, aStride, panel, k, bias, c, cStride, accumulate);
                break;
            case 6:
                TKernel.Tile<Rows6, TWeights>(a, aStride, panel, k, bias, c, cStride, accumulate);
                break;
            case 7:
                TKernel.Tile<Rows7, TWeights>(a, aStride, panel, k, bias, c, cStride, accumulate);
                break;
            default:
                TKernel.Tile<Rows8, TWeights>(a, aStride, panel, k, bias, c, cStride, accumulate);
                break;
        }
    }
}
