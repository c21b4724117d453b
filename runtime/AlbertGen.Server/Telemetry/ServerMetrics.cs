using System.Diagnostics.Metrics;

namespace AlbertGen.Server.Telemetry;

/// <summary>
/// The server's metrics, on <see cref="System.Diagnostics.Metrics"/> under the meter <see cref="MeterName"/>, named as
/// text-embeddings-inference names them (<c>te_*</c>) so TEI dashboards work unchanged. Durations are in seconds; the
/// instruments carry no unit so the Prometheus names stay TEI's (an exporter would append <c>_seconds</c>).
/// </summary>
internal sealed class ServerMetrics
{
    /// <summary>The meter's name (what an OpenTelemetry <c>AddMeter</c> call subscribes to).</summary>
    public const string MeterName = "AlbertGen.Server";

    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly double[] TokenBuckets = [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];
    private static readonly double[] SizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

    private readonly Meter _meter;

    /// <summary>Creates the instruments; <paramref name="queueSize"/> is read when metrics are collected.</summary>
    /// <param name="meterFactory">The host's meter factory, which owns (and disposes) the meter.</param>
    /// <param name="queueSize">The number of inputs waiting for the model.</param>
    public ServerMetrics(IMeterFactory meterFactory, Func<IEnumerable<Measurement<int>>> queueSize)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(queueSize);
        _meter = meterFactory.Create(MeterName);
        Requests = _meter.CreateCounter<long>("te_request_count", description: "Requests received, by method (single or batch) and route.");
        Successes = _meter.CreateCounter<long>("te_request_success", description: "Requests answered successfully, by method and route.");
        Failures = _meter.CreateCounter<long>("te_request_failure", description: "Requests that failed, by error type (err).");
        Duration = Seconds("te_request_duration", "Time from arrival to response, in seconds.");
        TokenizationDuration = Seconds("te_request_tokenization_duration", "Time spent tokenising a request, in seconds.");
        QueueDuration = Seconds("te_request_queue_duration", "Time a request's inputs waited for the model, in seconds.");
        InferenceDuration = Seconds("te_request_inference_duration", "Time a request's inputs spent in the model, in seconds.");
        PostprocessingDuration = Seconds("te_request_postprocessing_duration", "Time spent turning a request's model outputs into its answer, in seconds.");
        InputLength = _meter.CreateHistogram("te_request_input_length", description: "Tokens per request.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TokenBuckets });
        BatchSize = _meter.CreateHistogram("te_batch_next_size", description: "Inputs per forward pass.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SizeBuckets });
        BatchTokens = _meter.CreateHistogram("te_batch_next_tokens", description: "Padded tokens per forward pass.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TokenBuckets });
        BatchDuration = Seconds("te_batch_inference_duration", "Time per forward pass (with pre- and post-processing), in seconds.");
        _meter.CreateObservableGauge("te_queue_size", queueSize, description: "Inputs waiting for the model, by model.");
    }

    /// <summary><c>te_request_count</c>.</summary>
    public Counter<long> Requests { get; }

    /// <summary><c>te_request_success</c>.</summary>
    public Counter<long> Successes { get; }

    /// <summary><c>te_request_failure</c>.</summary>
    public Counter<long> Failures { get; }

    /// <summary><c>te_request_duration</c>.</summary>
    public Histogram<double> Duration { get; }

    /// <summary><c>te_request_tokenization_duration</c>.</summary>
    public Histogram<double> TokenizationDuration { get; }

    /// <summary><c>te_request_queue_duration</c>.</summary>
    public Histogram<double> QueueDuration { get; }

    /// <summary><c>te_request_inference_duration</c>.</summary>
    public Histogram<double> InferenceDuration { get; }

    /// <summary><c>te_request_postprocessing_duration</c> (not one of TEI's: TEI's inference time includes it).</summary>
    public Histogram<double> PostprocessingDuration { get; }

    /// <summary><c>te_request_input_length</c>.</summary>
    public Histogram<double> InputLength { get; }

    /// <summary><c>te_batch_next_size</c>.</summary>
    public Histogram<double> BatchSize { get; }

    /// <summary><c>te_batch_next_tokens</c>.</summary>
    public Histogram<double> BatchTokens { get; }

    /// <summary><c>te_batch_inference_duration</c>.</summary>
    public Histogram<double> BatchDuration { get; }

    private Histogram<double> Seconds(string name, string description) =>
        _meter.CreateHistogram(name, description: description, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
}
