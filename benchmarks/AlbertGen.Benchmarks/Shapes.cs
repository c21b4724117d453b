namespace AlbertGen.Benchmarks;

/// <summary>The batch × sequence shapes every anchor section times, in the order of the ratio lines.</summary>
internal static class Shapes
{
    public static readonly (int Batch, int Sequence)[] All = [(1, 16), (1, 128), (8, 128), (32, 128)];

    /// <summary>A ratio line's fields, <c>1x16=… 1x128=… 8x128=… 32x128=…</c>; <c>n/a</c> for a shape not measured.</summary>
    public static string RatioFields(IReadOnlyDictionary<string, double>? ratios) =>
        string.Join(' ', All.Select(s => $"{s.Batch}x{s.Sequence}={Numbers.Ratio(ratios is not null && ratios.TryGetValue($"{s.Batch}x{s.Sequence}", out double r) ? r : null)}"));
}
