using System.Globalization;

namespace AlbertGen.Benchmarks;

/// <summary>Small helpers for the figures the tables print.</summary>
internal static class Numbers
{
    /// <summary>GFLOP/s (or GOP/s) of <paramref name="flops"/> done in <paramref name="ms"/> milliseconds.</summary>
    public static double Gflops(double flops, double ms) => flops / (ms * 1e6);

    /// <summary><c>NN %</c> of <paramref name="value"/> against <paramref name="limit"/>, or <c>n/a</c> when the limit was not measured.</summary>
    public static string Percent(double value, double limit) => double.IsNaN(limit) || double.IsNaN(value) ? "n/a" : $"{100 * value / limit:0} %";

    /// <summary>A ratio as the ratio lines print it (two decimals, invariant), or <c>n/a</c>.</summary>
    public static string Ratio(double? ratio) => ratio is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>The largest absolute difference between two outputs of the same shape.</summary>
    public static double MaxAbsDiff(float[] a, float[] b)
    {
        if (a.Length != b.Length)
        {
            throw new InvalidOperationException($"Output lengths differ: {a.Length} vs {b.Length}.");
        }

        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        }

        return max;
    }
}
