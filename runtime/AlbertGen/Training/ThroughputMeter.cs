using System.Diagnostics;

namespace AlbertGen.Training;

/// <summary>Mean loss and tokens per second between two progress reports.</summary>
internal sealed class ThroughputMeter
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _lossSum;
    private int _losses;
    private long _tokens;

    /// <summary>Adds one forward pass.</summary>
    public void Add(double loss, long tokens)
    {
        _lossSum += loss;
        _losses++;
        _tokens += tokens;
    }

    /// <summary>The mean loss and the throughput since the previous call; starts a new interval.</summary>
    public (double MeanLoss, double TokensPerSecond) Take()
    {
        double seconds = Math.Max(1e-9, _clock.Elapsed.TotalSeconds);
        var result = (_losses == 0 ? double.NaN : _lossSum / _losses, _tokens / seconds);
        _lossSum = 0;
        _losses = 0;
        _tokens = 0;
        _clock.Restart();
        return result;
    }
}
