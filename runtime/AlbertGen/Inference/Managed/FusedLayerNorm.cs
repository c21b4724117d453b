using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace AlbertGen.Inference.Managed;

/// <summary>
/// LayerNorm over rows of managed floats, <c>(x - mean) / √(var + eps) · weight + bias</c> with the biased variance, as
/// libtorch's <c>layer_norm</c> computes it; two passes over each row (mean, then the centred squares) for its accuracy.
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // as FusedAttention.RunHead: never left at tier 0
    private static void Rows(float* input, float* output, int first, int count, int width, float* weight, float* bias, float eps)
    {
        var gamma = new ReadOnlySpan<float>(weight, width);
        var beta = new ReadOnlySpan<float>(bias, width);
        for (int r = first; r < first + count; r++)
        {
            var x = new ReadOnlySpan<float>(input + ((long)r * width), width);
            var y = new Span<float>(output + ((long)r * width), width);
            float mean = TensorPrimitives.Sum(x) / width;
            TensorPrimitives.Subtract(x, mean, y);
            float variance = TensorPrimitives.SumOfSquares(y) / width;
            TensorPrimitives.Multiply(y, 1f / MathF.Sqrt(variance + eps), y);
            TensorPrimitives.FusedMultiplyAdd(y, gamma, beta, y);
        }
    }
}
