using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AlbertGen.Inference.Managed;

/// <summary>
/// The row operations of the fused layers (softmax, LayerNorm, sums, dot products), in Vector256 loops compiled fully optimised
/// from the first call. Written here rather than with <c>TensorPrimitives</c>: its generic bodies ran unoptimised (tier 0)
/// for hundreds of passes inside the fused layers, which made the attention of one 128-token input take 5.6 ms instead of
/// 0.44 ms on one AMD EPYC core (measured with and without <c>DOTNET_TieredCompilation=0</c>); a library cannot choose
/// its host's tiering, so its hot loops must not depend on it.
/// </summary>
internal static unsafe class RowMath
{
    private const int Lanes = 8;

    /// <summary>
    /// <c>row[j] = e^(row[j] - max) / Σ e^(row[·] - max)</c> over <paramref name="count"/> values, in place, as libtorch's
    /// <c>softmax</c> computes it (the maximum subtracted first, so no exponent overflows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(float* row, int count)
    {
        Scale(row, count, 1f / Exponentiate(row, count));
    }

    /// <summary>
    /// <c>row[j] = e^(row[j] - max)</c> over <paramref name="count"/> values, in place; returns their sum (the softmax's
    /// denominator, for a caller that divides later, once per output instead of once per score).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Exponentiate(float* row, int count)
    {
        int full = count - (count % Lanes);
        Vector256<float> max = Vector256.Create(float.NegativeInfinity);
        for (int j = 0; j < full; j += Lanes)
        {
            max = Vector256.Max(max, Vector256.Load(row + j));
        }

        float top = HorizontalMax(max);
        for (int j = full; j < count; j++)
        {
            top = MathF.Max(top, row[j]);
        }

        Vector256<float> shift = Vector256.Create(top), sum = Vector256<float>.Zero;
        for (int j = 0; j < full; j += Lanes)
        {
            Vector256<float> e = ManagedActivations.Exp(Vector256.Load(row + j) - shift);
            e.Store(row + j);
            sum += e;
        }

        float total = Vector256.Sum(sum);
        if (full < count)
        {
            // The tail through one vector, so it gets exactly the arithmetic of the rest of the row.
            Vector256<float> tail = ManagedActivations.Exp(LoadTail(row + full, count - full, float.NegativeInfinity) - shift);
            for (int t = 0; t < count - full; t++)
            {
                row[full + t] = tail.GetElement(t);
                total += tail.GetElement(t);
            }
        }

        return total;
    }

    /// <summary><c>row[j] *= factor</c> over <paramref name="count"/> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(float* row, int count, float factor)
    {
        Vector256<float> scale = Vector256.Create(factor);
        int j = 0;
        for (; j <= count - Lanes; j += Lanes)
        {
            (Vector256.Load(row + j) * scale).Store(row + j);
        }

        for (; j < count; j++)
        {
            row[j] *= factor;
        }
    }

    /// <summary>
    /// LayerNorm of one row, <c>(x - mean) / √(var + eps) · weight + bias</c> with the biased variance, as libtorch's
    /// <c>layer_norm</c>; two passes (mean, then the centred squares) for its accuracy. <paramref name="output"/> may be
    /// <paramref name="input"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LayerNorm(float* input, float* output, int width, float* weight, float* bias, float eps)
    {
        int full = width - (width % Lanes);
        Vector256<float> sum = Vector256<float>.Zero;
        for (int j = 0; j < full; j += Lanes)
        {
            sum += Vector256.Load(input + j);
        }

        float total = Vector256.Sum(sum);
        for (int j = full; j < width; j++)
        {
            total += input[j];
        }

        float mean = total / width;
        Vector256<float> centre = Vector256.Create(mean), squares = Vector256<float>.Zero;
        for (int j = 0; j < full; j += Lanes)
        {
            Vector256<float> x = Vector256.Load(input + j) - centre;
            squares = Vector256.FusedMultiplyAdd(x, x, squares);
        }

        float squared = Vector256.Sum(squares);
        for (int j = full; j < width; j++)
        {
            float x = input[j] - mean;
            squared = MathF.FusedMultiplyAdd(x, x, squared);
        }

        float inverse = 1f / MathF.Sqrt((squared / width) + eps);
        Vector256<float> scale = Vector256.Create(inverse);
        for (int j = 0; j < full; j += Lanes)
        {
            Vector256<float> x = (Vector256.Load(input + j) - centre) * scale;
            Vector256.FusedMultiplyAdd(x, Vector256.Load(weight + j), Vector256.Load(bias + j)).Store(output + j);
        }

        for (int j = full; j < width; j++)
        {
            output[j] = MathF.FusedMultiplyAdd((input[j] - mean) * inverse, weight[j], bias[j]);
        }
    }

    /// <summary><c>output[j] = a[j] + b[j]</c>; <paramref name="output"/> may be either input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(float* a, float* b, float* output, int count)
    {
        int j = 0;
        for (; j <= count - Lanes; j += Lanes)
        {
            (Vector256.Load(a + j) + Vector256.Load(b + j)).Store(output + j);
        }

        for (; j < count; j++)
        {
            output[j] = a[j] + b[j];
        }
    }

    /// <summary><c>Σ a[j]·b[j]</c> over <paramref name="count"/> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(float* a, float* b, int count)
    {
        Vector256<float> s0 = Vector256<float>.Zero, s1 = s0;
        int j = 0;
        for (; j <= count - (2 * Lanes); j += 2 * Lanes)
        {
            s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + j), Vector256.Load(b + j), s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + j + Lanes), Vector256.Load(b + j + Lanes), s1);
        }

        for (; j <= count - Lanes; j += Lanes)
        {
            s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + j), Vector256.Load(b + j), s0);
        }

        float sum = Vector256.Sum(s0 + s1);
        for (; j < count; j++)
        {
            sum = MathF.FusedMultiplyAdd(a[j], b[j], sum);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector256<float> v)
    {
        Vector128<float> m = Vector128.Max(v.GetLower(), v.GetUpper());
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
        return m.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadTail(float* values, int count, float fill)
    {
        float* lanes = stackalloc float[Lanes];
        for (int t = 0; t < Lanes; t++)
        {
            lanes[t] = t < count ? values[t] : fill;
        }

        return Vector256.Load(lanes);
    }
}
