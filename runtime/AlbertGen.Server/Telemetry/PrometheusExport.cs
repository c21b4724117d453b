using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Prometheus;

namespace AlbertGen.Server.Telemetry;

/// <summary>
/// Exports this app's <see cref="ServerMetrics"/> instruments as Prometheus text through prometheus-net (a stable
/// package; OpenTelemetry's Prometheus exporter is prerelease only). prometheus-net's own meter adapter prefixes names
/// with the meter's and turns counters into gauges, which would break TEI's names, so this listener feeds
/// prometheus-net collectors named exactly as the instruments: counters stay counters (no <c>_total</c> suffix in the
/// text format), histograms keep the buckets their instrument advises, observable gauges are read at each scrape.
/// Only the instruments of this app's meter factory are exported, so several servers in one process stay apart.
/// </summary>
internal sealed class PrometheusExport : IHostedService, IDisposable
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly IMetricFactory _factory;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(Instrument Instrument, string Labels), Action<double, string[]>> _record = new();

    public PrometheusExport(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _factory = Metrics.WithCustomRegistry(_registry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ServerMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
        _registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
    }

    /// <summary>Writes every metric in the Prometheus text format (version 0.0.4).</summary>
    public async Task WriteAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await _registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // prometheus-net fixes a metric's label names when it is created; .NET tags come in any order.
        KeyValuePair<string, object?>[] sorted = [.. tags];
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        string[] names = [.. sorted.Select(t => t.Key)];
        string[] values = [.. sorted.Select(t => t.Value?.ToString() ?? "")];
        _record.GetOrAdd((instrument, string.Join(',', names)), key => Collector(key.Instrument, names))(value, values);
    }

    private Action<double, string[]> Collector(Instrument instrument, string[] labelNames)
    {
        string help = instrument.Description ?? instrument.Name;
        switch (instrument)
        {
            case Counter<long> or Counter<int> or Counter<double>:
                Counter counter = _factory.CreateCounter(instrument.Name, help, labelNames);
                return (value, labels) => counter.WithLabels(labels).Inc(value);
            case Histogram<double> histogram:
                Histogram prometheus = _factory.CreateHistogram(instrument.Name, help, labelNames,
                    // Without advice, prometheus-net's default buckets.
                    new HistogramConfiguration { Buckets = histogram.Advice?.HistogramBucketBoundaries?.ToArray() });
                return (value, labels) => prometheus.WithLabels(labels).Observe(value);
            case ObservableGauge<int> or ObservableGauge<long> or ObservableGauge<double>:
                Gauge gauge = _factory.CreateGauge(instrument.Name, help, labelNames);
                return (value, labels) => gauge.WithLabels(labels).Set(value);
            default:
                throw new NotSupportedException($"The metric {instrument.Name} is a {instrument.GetType().Name}; the Prometheus export takes counters, double histograms and observable gauges.");
        }
    }
}
