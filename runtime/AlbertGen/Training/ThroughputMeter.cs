using System.Diagnostics;

namespace AlbertGen.Training;

/// <summary>Mean loss (and mean of each of its named parts, if it has several) and tokens per second between two progress reports.</summary>
internal sealed class ThroughputMeter
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, double> _termSums = new(StringComparer.Ordinal);
    private double _lossSum;
    private int _losses;
    private long _tokens;

    /// <summary>Adds one update's loss, its tokens, and the loss's parts by name (none when it has one part).</summary>
    public void Add(double loss, long tokens, params ReadOnlySpan<(string Name, double Value)> terms)
    {
        _lossSum += loss;
        _losses++;
        _tokens += tokens;
        foreach ((string name, double value) in terms)
        {
            _termSums[name] = _termSums.GetValueOrDefault(name) + value;
        }
    }

    /// <summary>
    /// The mean loss, the throughput and the mean of each loss part since the previous call (parts: null when none were
    /// added); starts a new interval.
    /// </summary>
    public (double MeanLoss, double TokensPerSecond, IReadOnlyDictionary<string, double>? Terms) Take()
    {
        double seconds = Math.Max(1e-9, _clock.Elapsed.TotalSeconds);
        Dictionary<string, double>? terms = _termSums.Count == 0
            ? null
            : _termSums.ToDictionary(kv => kv.Key, kv => kv.Value / _losses, StringComparer.Ordinal);
        var result = (_losses == 0 ? double.NaN : _lossSum / _losses, _tokens / seconds, terms);
        _lossSum = 0;
        _losses = 0;
        _tokens = 0;
        _termSums.Clear();
        _clock.Restart();
        return result;
    }
}
