using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using AlbertGen.Modeling;

namespace AlbertGen.Inference.Managed;

/// <summary>
/// The activations of managed products (and the end of a product on one stored row segment, in place: the activation,
/// then the addend). Vectorised here
/// rather than through <c>TensorPrimitives</c> because GELU's exact (erf) form has no primitive, and because each form is
/// rewritten to be accurate where libtorch's is (see <see cref="Activate"/>).
/// </summary>
internal static unsafe class ManagedActivations
{
    /// <summary><c>values[j] = activation(values[j])</c> for <c>j &lt; count</c>.</summary>
    public static void Apply(AlbertActivation activation, float* values, int count) =>
        Apply(values, count, ManagedProducts.ToManaged(activation), null);

    /// <summary><c>row[j] = activation(row[j]) (+ addend[j])</c> for <c>j &lt; count</c>; nothing to do without either.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called per output row of a product: never left at tier 0
    public static void Apply(float* row, int count, ManagedActivation activation, float* addend)
    {
        if (activation == ManagedActivation.None && addend is null)
        {
            return;
        }

        int j = 0;
        for (; j <= count - Vector256<float>.Count; j += Vector256<float>.Count)
        {
            Vector256<float> x = Activate(Vector256.Load(row + j), activation);
            if (addend is not null)
            {
                x += Vector256.Load(addend + j);
            }

            x.Store(row + j);
        }

        if (j < count)
        {
            // The tail through a full vector, so it gets exactly the same arithmetic as the rest of the row.
            float* tail = stackalloc float[Vector256<float>.Count];
            Vector256<float>.Zero.Store(tail);
            int left = count - j;
            new ReadOnlySpan<float>(row + j, left).CopyTo(new Span<float>(tail, left));
            Vector256<float> x = Activate(Vector256.Load(tail), activation);
            x.Store(tail);
            for (int t = 0; t < left; t++)
            {
                row[j + t] = tail[t] + (addend is null ? 0f : addend[j + t]);
            }
        }
    }

    /// <summary>
    /// The activation of eight values. GELU's tanh form is computed as <c>x·sigmoid(2u)</c>, which equals
    /// <c>0.5·x·(1+tanh(u))</c> without its cancellation for negative x; the erf form as <c>0.5·x·erfc(−x/√2)</c>, with erfc
    /// from the Chebyshev fit of Numerical Recipes (relative error below 1.2e-7 everywhere), so small negative outputs keep
    /// their relative accuracy too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Activate(Vector256<float> x, ManagedActivation activation) => activation switch
    {
        ManagedActivation.None => x,
        ManagedActivation.Relu => Vector256.Max(x, Vector256<float>.Zero),
        ManagedActivation.Silu => x * Sigmoid(x),
        ManagedActivation.QuickGelu => x * Sigmoid(x * Vector256.Create(1.702f)),
        ManagedActivation.GeluTanh => x * Sigmoid(x * (Vector256.Create(2 * 0.7978845608028654f) + Vector256.Create(2 * 0.7978845608028654f * 0.044715f) * x * x)),
        ManagedActivation.GeluErf => GeluErf(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown managed activation."),
    };

    /// <summary>
    /// e^x in float32 arithmetic (within about 2 ulp; x clamped to [−87.3, 88.3], where e^x stays a normal float): the
    /// range reduced by Cody and Waite's split of ln 2, then a degree-6 Taylor polynomial on |r| ≤ ln2/2 (truncation
    /// below 1.2e-7 relative). Written here because .NET's <c>Vector256.Exp</c> for float32 computes in float64, which made
    /// a GELU epilogue cost twice the product it follows (K = 128).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Exp(Vector256<float> x)
    {
        // Multiply-adds written as fused ones: the JIT does not contract a·b + c by itself, and the fused form is both
        // fewer instructions (this runs on every score of the attention and every GELU) and one rounding instead of two.
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(-87.3f)), Vector256.Create(88.3f));
        Vector256<float> n = Vector256.Round(x * Vector256.Create(1.44269504088896341f));
        Vector256<float> r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        Vector256<float> p = Vector256.Create(1f / 720);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 120));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 24));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        Vector256<int> scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        return p * scale.AsSingle();
    }

    /// <summary>1 / (1 + e^−x); for x below −88.3 the clamped e^−x gives at most 3e-39 instead of 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sigmoid(Vector256<float> x) =>
        Vector256<float>.One / (Vector256<float>.One + Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> GeluErf(Vector256<float> x)
    {
        // z = −x/√2; erfc(z) = e for z ≥ 0, 2 − e for z < 0, with e = erfc(|z|) = t·exp(−z² + P(t)), t = 1/(1 + |z|/2).
        Vector256<float> z = x * Vector256.Create(-0.70710678118654752f);
        Vector256<float> a = Vector256.Abs(z);
        Vector256<float> t = Vector256<float>.One / Vector256.FusedMultiplyAdd(Vector256.Create(0.5f), a, Vector256<float>.One);
        Vector256<float> p = Vector256.Create(0.17087277f);
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-0.82215223f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(1.48851587f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-1.13520398f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(0.27886807f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-0.18628806f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(0.09678418f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(0.37409196f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(1.00002368f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-1.26551223f));
        Vector256<float> e = t * Exp(Vector256.FusedMultiplyAdd(-a, a, p));
        Vector256<float> erfc = Vector256.ConditionalSelect(Vector256.LessThan(z, Vector256<float>.Zero), Vector256.Create(2f) - e, e);
        return Vector256.Create(0.5f) * x * erfc;
    }
}

/// <summary>The activations a managed product fuses (ALBERT's <c>hidden_act</c> values, gelu_new and gelu_fast being one).</summary>
internal enum ManagedActivation
{
    /// <summary>None: the product and bias only.</summary>
    None,

    /// <summary><c>gelu</c>: 0.5·x·(1+erf(x/√2)).</summary>
    GeluErf,

    /// <summary><c>gelu_new</c> / <c>gelu_fast</c>: 0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³))).</summary>
    GeluTanh,

    /// <summary><c>quick_gelu</c>: x·sigmoid(1.702·x).</summary>
    QuickGelu,

    /// <summary><c>relu</c>.</summary>
    Relu,

    /// <summary><c>silu</c>: x·sigmoid(x).</summary>
    Silu,
}
