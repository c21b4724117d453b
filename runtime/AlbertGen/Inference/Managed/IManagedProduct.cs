namespace AlbertGen.Inference.Managed;

/// <summary>
/// One matrix product of a layer, <c>output = activation(input · Wᵀ + b) (+ addend)</c>, computed by managed code (.NET hardware
/// intrinsics) on weights prepared once for it. This is the contract every managed kernel implements (float32 with packed
/// weights, reduced-precision weights, int8): the per-product kernel (tensors in and out) and the fused layer both drive
/// products through it, so a kernel is written once and runs in both.
/// </summary>
/// <remarks>
/// <para>
/// A call is <see cref="Prepare"/> once over all rows (e.g. quantise or lay out the input in the caller's scratch), then
/// <see cref="Run"/> on tiles of rows and columns, possibly from several threads at once on disjoint tiles
/// (<see cref="KernelParallel"/>). Products are immutable after construction and hold no per-call state, so one product
/// serves many concurrent calls, each with its own scratch.
/// </para>
/// <para>All matrices are row-major float32: <c>input [rows, Inputs]</c>, <c>output [rows, Outputs]</c>, rows <c>stride</c> floats apart.</para>
/// </remarks>
internal interface IManagedProduct : IDisposable
{
    /// <summary>Short name shown by sessions and <c>albertgen info</c>, e.g. <c>managed-avx2-fp32</c>.</summary>
    string Name { get; }

    /// <summary>The product's inputs (K, the length of an input row).</summary>
    int Inputs { get; }

    /// <summary>The product's outputs (N, the length of an output row).</summary>
    int Outputs { get; }

    /// <summary>Bytes of the product's own copy of its weights and bias (what packing added to the process).</summary>
    long WeightBytes { get; }

    /// <summary>
    /// Column tiles passed to <see cref="Run"/> start at a multiple of this and are a multiple of it long (the last one may
    /// end at <see cref="Outputs"/>).
    /// </summary>
    int ColumnAlignment { get; }

    /// <summary>Bytes of scratch a call over <paramref name="rows"/> rows needs (0 when the kernel needs none).</summary>
    int ScratchBytes(int rows);

    /// <summary>Prepares a call over <paramref name="rows"/> rows of <paramref name="input"/> into <paramref name="scratch"/> (single-threaded, before any <see cref="Run"/> of the call).</summary>
    unsafe void Prepare(float* input, int inputStride, int rows, byte* scratch);

    /// <summary>
    /// Computes the tile rows <c>[firstRow, firstRow + rowCount)</c> × columns <c>[firstColumn, firstColumn + columnCount)</c>
    /// of the output: <c>activation(input · Wᵀ + b)</c>, plus <paramref name="addend"/> (same layout as the output, e.g. a
    /// residual) when it is not null.
    /// </summary>
    unsafe void Run(
        float* input, int inputStride, byte* scratch, float* output, int outputStride, float* addend,
        int firstRow, int rowCount, int firstColumn, int columnCount);
}
