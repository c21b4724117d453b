namespace AlbertGen.Inference.Managed;

/// <summary>
/// LayerNorm over rows of managed floats, <c>(x - mean) / √(var + eps) · weight + bias</c> with the biased variance, as
/// libtorch's <c>layer_norm</c> computes it (<see cref="RowMath.LayerNorm"/>), rows spread over the cores when there are many.
/// </summary>
internal static unsafe class FusedLayerNorm
{
    /// <summary>Below this many floats a LayerNorm runs on the calling thread: a parallel region costs more.</summary>
    private const long ParallelMinimumFloats = 64 * 1024;

    /// <summary>
    /// Normalises <paramref name="rows"/> rows of <paramref name="width"/> floats of <paramref name="input"/> into
    /// <paramref name="output"/> (which may be <paramref name="input"/>).
    /// </summary>
    public static void Run(float* input, float* output, int rows, int width, float* weight, float* bias, float eps)
    {
        if ((long)rows * width < ParallelMinimumFloats || KernelParallel.Threads == 1)
        {
            Rows(input, output, 0, rows, width, weight, bias, eps);
            return;
        }

        int parts = Math.Min(rows, KernelParallel.Threads * 4), perPart = (rows + parts - 1) / parts;
        nint i = (nint)input, o = (nint)output, w = (nint)weight, b = (nint)bias;
        KernelParallel.For(parts, p =>
        {
            int first = p * perPart;
            Rows((float*)i, (float*)o, first, Math.Min(perPart, rows - first), width, (float*)w, (float*)b, eps);
        });
    }

    private static void Rows(float* input, float* output, int first, int count, int width, float* weight, float* bias, float eps)
    {
        for (int r = first; r < first + count; r++)
        {
            RowMath.LayerNorm(input + ((long)r * width), output + ((long)r * width), width, weight, bias, eps);
        }
    }
}
