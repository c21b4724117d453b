namespace AlbertGen.Inference.Managed;

/// <summary>
/// A float32 product on weights packed once into column panels (<see cref="GemmPanels"/>, float32 or bfloat16-stored),
/// computed by the register-blocked microkernels of <see cref="GemmAvx2"/> or <see cref="GemmAvx512"/>, with the bias in
/// the accumulators and the activation and addend applied to each tile while it is still in cache.
/// </summary>
/// <remarks>
/// A tile is blocked as GotoBLAS blocks a product: k in stretches of <see cref="DepthBlock"/> (a panel's stretch stays in
/// L1 while every row block runs over it), rows in blocks of <see cref="RowBlock"/> (their inputs stay in L2 across the
/// panels). Each weight is read once per call and row block, so few rows (a single query) stream the weights once.
/// </remarks>
internal sealed unsafe class GemmProduct : IManagedProduct
{
    /// <summary>Inputs per stretch of k: a 32-wide float32 panel's stretch is 32 KiB, a 16-wide one's 16 KiB.</summary>
    internal const int DepthBlock = 256;

    /// <summary>Rows per row block: their stretch of inputs (96 KiB) stays in L2 while the panels pass.</summary>
    internal const int RowBlock = 96;

    private readonly GemmPanels _panels;
    private readonly float[] _bias;
    private readonly ManagedActivation _activation;
    private readonly int _tileRows;

    public GemmProduct(ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int outputs, int inputs, ManagedActivation activation, ManagedIsa isa, ManagedWeightStorage storage)
    {
        Outputs = outputs;
        Inputs = inputs;
        Isa = isa;
        _activation = activation;
        int width = isa == ManagedIsa.Avx512 ? GemmAvx512.Columns : GemmAvx2.Columns;
        _tileRows = isa == ManagedIsa.Avx512 ? GemmAvx512.Rows : GemmAvx2.Rows;
        _panels = new GemmPanels(weight, outputs, inputs, width, storage);
        // Padded to whole panels (zeros), so a tile always loads full vectors of bias; pinned for the microkernels.
        _bias = GC.AllocateArray<float>(_panels.Count * width, pinned: true);
        bias.CopyTo(_bias);
        Name = ManagedProducts.Name(isa, storage);
    }

    public string Name { get; }

    public int Inputs { get; }

    public int Outputs { get; }

    /// <summary>The instruction set the microkernel uses.</summary>
    public ManagedIsa Isa { get; }

    /// <summary>How the weights are stored.</summary>
    public ManagedWeightStorage Storage => _panels.Storage;

    public long WeightBytes => _panels.Bytes + (long)_bias.Length * sizeof(float);

    public int ColumnAlignment => _panels.Width;

    public int ScratchBytes(int rows) => 0;

    public void Prepare(float* input, int inputStride, int rows, byte* scratch)
    {
    }

    public void Run(float* input, int inputStride, byte* scratch, float* output, int outputStride, float* addend, int firstRow, int rowCount, int firstColumn, int columnCount)
    {
        if (firstColumn % _panels.Width != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(firstColumn), firstColumn, $"Column tiles of {Name} start at a multiple of {_panels.Width}.");
        }

        int endRow = firstRow + rowCount, endColumn = firstColumn + columnCount;
        int width = _panels.Width;
        bool avx512 = Isa == ManagedIsa.Avx512;
        fixed (float* bias = _bias)
        {
            for (int k0 = 0; k0 < Inputs; k0 += DepthBlock)
            {
                int depth = Math.Min(DepthBlock, Inputs - k0);
                bool accumulate = k0 > 0, last = k0 + depth == Inputs;
                for (int r0 = firstRow; r0 < endRow; r0 += RowBlock)
                {
                    int blockEnd = Math.Min(endRow, r0 + RowBlock);
                    for (int column = firstColumn; column < endColumn; column += width)
                    {
                        int columns = Math.Min(width, endColumn - column);
                        byte* panel = _panels.At(column, k0);
                        for (int row = r0; row < blockEnd; row += _tileRows)
                        {
                            int rows = Math.Min(_tileRows, blockEnd - row);
                            float* a = input + (long)row * inputStride + k0;
                            float* c = output + (long)row * outputStride + column;
                            if (avx512)
                            {
                                GemmAvx512.Tile(rows, Storage, a, inputStride, panel, depth, bias + column, c, outputStride, columns, accumulate);
                            }
                            else
                            {
                                GemmAvx2.Tile(rows, Storage, a, inputStride, panel, depth, bias + column, c, outputStride, columns, accumulate);
                            }

                            if (last)
                            {
                                for (int r = 0; r < rows; r++)
                                {
                                    float* add = addend is null ? null : addend + (long)(row + r) * outputStride + column;
                                    GemmEpilogue.Apply(c + (long)r * outputStride, columns, _activation, add);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public void Dispose() => _panels.Dispose();
}
