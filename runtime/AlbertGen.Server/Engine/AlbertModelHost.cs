using System.Diagnostics;
using System.Diagnostics.Metrics;
using AlbertGen.Server.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AlbertGen.Server.Engine;

/// <summary>
/// Owns the served model and its batcher for the life of the host: loads and warms the model in the background when the
/// host starts (so <c>/health</c> answers 503 until it is ready), and on shutdown stops taking inputs, finishes the queued
/// ones and disposes the model. A model that fails to load stops the host; <see cref="LoadError"/> says why.
/// </summary>
public sealed class AlbertModelHost : IHostedService, IDisposable
{
    private readonly AlbertServerOptions _options;
    private readonly ILogger<AlbertModelHost> _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ServedModel? _model;

    /// <summary>Created by dependency injection (see <see cref="AlbertServerExtensions.AddAlbertServer"/>).</summary>
    /// <param name="options">What to serve.</param>
    /// <param name="meterFactory">The host's meter factory.</param>
    /// <param name="lifetime">The host's lifetime, stopped when the model cannot be loaded.</param>
    /// <param name="logger">Logs loading, batches and failures.</param>
    public AlbertModelHost(AlbertServerOptions options, IMeterFactory meterFactory, IHostApplicationLifetime lifetime, ILogger<AlbertModelHost> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _lifetime = lifetime;
        _logger = logger;
        InferenceQueue? queue = null;
        Metrics = new ServerMetrics(meterFactory, () => queue?.Waiting ?? 0);
        Queue = queue = new InferenceQueue(options, Metrics, logger);
    }

    /// <summary>The options served.</summary>
    public AlbertServerOptions Options => _options;

    /// <summary>The model once loaded, else null.</summary>
    internal ServedModel? Model => _ready.Task.IsCompletedSuccessfully ? _model : null;

    /// <summary>True once the model is loaded and warmed and the batcher runs.</summary>
    public bool IsReady => _ready.Task.IsCompletedSuccessfully && Queue.IsRunning;

    /// <summary>Completes when the model is ready; faults when it could not be loaded.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Why the model could not be loaded, or null.</summary>
    public Exception? LoadError => _ready.Task.Exception?.InnerException;

    /// <summary>Why the host is not ready (loading, failed, stopping), or null when it is.</summary>
    public string? NotReadyReason =>
        IsReady ? null
        : LoadError is { } error ? $"The model could not be loaded: {error.Message}"
        : !_ready.Task.IsCompleted ? "The model is loading; retry when /health answers 200."
        : "The server is shutting down.";

    /// <summary>The server's metrics.</summary>
    internal ServerMetrics Metrics { get; }

    internal InferenceQueue Queue { get; }

    /// <summary>Starts loading the model in the background.</summary>
    /// <param name="cancellationToken">Not used: loading continues after start-up.</param>
    /// <returns>A completed task.</returns>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(Load, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops taking inputs and waits for the queued ones (until the host's shutdown timeout).</summary>
    /// <param name="cancellationToken">Signalled when the host's shutdown timeout has passed.</param>
    /// <returns>When the batcher has stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Queue.StopAsync(cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Batcher stopped; {InFlight} requests were in flight.", Queue.InFlight);
    }

    /// <summary>Disposes the batcher and the model.</summary>
    public void Dispose()
    {
        Queue.Dispose();
        _model?.Dispose();
    }

    private void Load()
    {
        try
        {
            long start = Stopwatch.GetTimestamp();
            _logger.LogInformation("Loading {Model} from {Directory}", _options.EffectiveModelId, _options.ModelDirectory);
            _model = ServedModel.Load(_options);
            TimeSpan loaded = Stopwatch.GetElapsedTime(start);
            _model.WarmUp();
            Queue.Start();
            _logger.LogInformation(
                "Ready: {Model} ({Architectures}) loaded in {LoadMs:0} ms, warmed in {WarmMs:0} ms; max input {MaxLength} tokens",
                _options.EffectiveModelId, string.Join(", ", _model.Config.Architectures), loaded.TotalMilliseconds,
                (Stopwatch.GetElapsedTime(start) - loaded).TotalMilliseconds, _model.MaxLength);
            _ready.TrySetResult();
        }
        catch (Exception e)
        {
            _logger.LogCritical("Cannot load the model from {Directory}: {Error}", _options.ModelDirectory, e.Message);
            _ready.TrySetException(e);
            _lifetime.StopApplication();
        }
    }
}
