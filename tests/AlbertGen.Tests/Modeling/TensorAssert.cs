using Xunit.Sdk;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>Elementwise closeness with the fixture tolerance, reporting the worst element on failure.</summary>
public static class TensorAssert
{
    /// <summary>The fixture README's suggested absolute tolerance.</summary>
    public const double Atol = 1e-4;

    /// <summary>The fixture README's suggested relative tolerance.</summary>
    public const double Rtol = 1e-4;

    /// <summary>
    /// Asserts <c>|actual − expected| ≤ atol + rtol·|expected|</c> for every element (same shape required) and returns the
    /// largest absolute error.
    /// </summary>
    public static double Close(Tensor expected, Tensor actual, string what, double atol = Atol, double rtol = Rtol)
    {
        if (!expected.shape.SequenceEqual(actual.shape))
        {
            throw new XunitException($"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}].");
        }

        using var scope = NewDisposeScope();
        Tensor e = expected.to(ScalarType.Float64, CPU).reshape(-1);
        Tensor a = actual.detach().to(ScalarType.Float64, CPU).reshape(-1);
        if (e.NumberOfElements == 0)
        {
            return 0;
        }

        Tensor error = a.sub(e).abs();
        Tensor excess = error.sub(e.abs().mul(rtol).add(atol));
        long worst = excess.argmax().item<long>();
        double worstExcess = excess[worst].item<double>();
        if (double.IsNaN(a.sum().item<double>()) || worstExcess > 0)
        {
            long[] index = Unravel(worst, expected.shape);
            throw new XunitException(
                $"{what}: element [{string.Join(", ", index)}] is {a[worst].item<double>():R}, expected {e[worst].item<double>():R} " +
                $"(|error| {error[worst].item<double>():E3} > {atol} + {rtol}·|expected|); worst |error| overall {error.max().item<double>():E3}.");
        }

        return error.max().item<double>();
    }

    private static long[] Unravel(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }

        return index;
    }
}
