using System.Runtime.InteropServices;

namespace AlbertGen.Inference.Managed;

/// <summary>Runs one <see cref="IManagedProduct"/> call over all its rows: prepares the input, then splits the output into tiles across <see cref="KernelParallel"/>.</summary>
internal static unsafe class ManagedProductRunner
{
    /// <summary>Below about this many multiply-adds a call runs on one thread: waking a worker costs more than it saves.</summary>
    internal const long ParallelMinimumWork = 64 * 1024;

    [ThreadStatic]
    private static Scratch? t_scratch;

    /// <summary>
    /// <c>output = activation(input · Wᵀ + b) (+ addend)</c> over <paramref name="rows"/> rows, tiles spread over the cores.
    /// </summary>
    public static void Run(IManagedProduct product, float* input, int inputStride, int rows, float* output, int outputStride, float* addend = null)
    {
        if (rows <= 0)
        {
            return;
        }

        byte* scratch = ScratchFor(product.ScratchBytes(rows));
        product.Prepare(input, inputStride, rows, scratch);
        long work = (long)rows * product.Inputs * product.Outputs;
        int threads = work < ParallelMinimumWork ? 1 : KernelParallel.Threads;
        if (threads == 1)
        {
            product.Run(input, inputStride, scratch, output, outputStride, addend, 0, rows, 0, product.Outputs);
            return;
        }

        // Columns first (each tile then reads a disjoint part of the weights, which is what small row counts are bound by);
        // rows as well once there are enough of them to keep every thread's tiles cache-sized.
        (int rowTiles, int columnTiles, int columnsPerTile) = Tiles(product, rows, threads);
        int rowsPerTile = (rows + rowTiles - 1) / rowTiles;
        nint inputAddress = (nint)input, scratchAddress = (nint)scratch, outputAddress = (nint)output, addendAddress = (nint)addend;
        KernelParallel.For(rowTiles * columnTiles, tile =>
        {
            int firstRow = tile / columnTiles * rowsPerTile;
            int firstColumn = tile % columnTiles * columnsPerTile;
            int rowCount = Math.Min(rowsPerTile, rows - firstRow);
            int columnCount = Math.Min(columnsPerTile, product.Outputs - firstColumn);
            if (rowCount > 0 && columnCount > 0)
            {
                product.Run((float*)inputAddress, inputStride, (byte*)scratchAddress, (float*)outputAddress, outputStride, (float*)addendAddress,
                    firstRow, rowCount, firstColumn, columnCount);
            }
        });
    }

    /// <summary>Thread-local scratch of at least <paramref name="bytes"/> (64-byte aligned), grown as needed and kept for the thread's next call.</summary>
    private static byte* ScratchFor(int bytes)
    {
        if (bytes == 0)
        {
            return null;
        }

        Scratch scratch = t_scratch ??= new Scratch();
        return scratch.AtLeast(bytes);
    }

    private static (int RowTiles, int ColumnTiles, int ColumnsPerTile) Tiles(IManagedProduct product, int rows, int threads)
    {
        int align = product.ColumnAlignment;
        int columnBlocks = (product.Outputs + align - 1) / align;
        int columnTiles = Math.Min(columnBlocks, threads * 2);
        int rowTiles = rows >= 64 * threads ? Math.Max(1, Math.Min(rows / 64, threads * 2 / Math.Max(1, Math.Min(columnTiles, 2)))) : 1;
        if (rowTiles > 1)
        {
            columnTiles = Math.Min(columnBlocks, 2);
        }

        int blocksPerTile = (columnBlocks + columnTiles - 1) / columnTiles;
        columnTiles = (columnBlocks + blocksPerTile - 1) / blocksPerTile;
        return (rowTiles, columnTiles, blocksPerTile * align);
    }

    /// <summary>A native buffer owned by one thread; freed when the thread ends (finaliser), never while in use.</summary>
    private sealed class Scratch
    {
        private byte* _buffer;
        private int _bytes;

        ~Scratch()
        {
            NativeMemory.AlignedFree(_buffer);
        }

        public byte* AtLeast(int bytes)
        {
            if (bytes > _bytes)
            {
                NativeMemory.AlignedFree(_buffer);
                _buffer = null;
                _bytes = 0;
                _buffer = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
                _bytes = bytes;
            }

            return _buffer;
        }
    }
}
