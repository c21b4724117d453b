using System.Diagnostics;
using System.Diagnostics.Metrics;
using AlbertGen.Server.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AlbertGen.Server.Engine;

/// <summary>
/// Owns the served models and their batchers for the life of the host: loads and warms them in the background when the
/// host starts (so <c>/health</c> answers 503 until all are ready), and on shutdown stops taking inputs, finishes the
/// queued ones and disposes the models. A model that fails to load stops the host; <see cref="LoadError"/> says why.
/// </summary>
public sealed class AlbertModelHost : IHostedService, IDisposable
{
    private readonly AlbertServerOptions _options;
    private readonly ILogger<AlbertModelHost> _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly List<ModelSlot> _slots = [];

    /// <summary>Created by dependency injection (see <see cref="AlbertServerExtensions.AddAlbertServer"/>).</summary>
    /// <param name="options">What to serve.</param>
    /// <param name="meterFactory">The host's meter factory.</param>
    /// <param name="lifetime">The host's lifetime, stopped when a model cannot be loaded.</param>
    /// <param name="logger">Logs loading, batches and failures.</param>
    public AlbertModelHost(AlbertServerOptions options, IMeterFactory meterFactory, IHostApplicationLifetime lifetime, ILogger<AlbertModelHost> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _lifetime = lifetime;
        _logger = logger;
        Metrics = new ServerMetrics(meterFactory, () => _slots.Select(s => new Measurement<int>(s.Queue.Waiting, new KeyValuePair<string, object?>("model", s.Name))));
        _slots.AddRange(options.Models.Select(source => new ModelSlot(source, options, Metrics, logger)));
        Ready = Task.WhenAll(_slots.Select(s => s.Ready));
    }

    /// <summary>The options served.</summary>
    public AlbertServerOptions Options => _options;

    /// <summary>True once every model is loaded and warmed and its batcher runs.</summary>
    public bool IsReady => _slots.All(s => s.IsReady);

    /// <summary>Completes when every model is ready; faults when one could not be loaded.</summary>
    public Task Ready { get; }

    /// <summary>Why a model could not be loaded, or null.</summary>
    public Exception? LoadError => _slots.Select(s => s.LoadError).FirstOrDefault(e => e is not null);

    /// <summary>Why the host is not ready (loading, failed, stopping), or null when it is.</summary>
    public string? NotReadyReason =>
        IsReady ? null
        : LoadError is { } error ? $"The model could not be loaded: {error.Message}"
        : !Ready.IsCompleted ? "The model is loading; retry when /health answers 200."
        : "The server is shutting down.";

    /// <summary>The served models, the default (first) one first.</summary>
    internal IReadOnlyList<ModelSlot> Slots => _slots;

    /// <summary>The first model once loaded, else null.</summary>
    internal ServedModel? Model => _slots[0].Model;

    /// <summary>The first model's queue.</summary>
    internal InferenceQueue Queue => _slots[0].Queue;

    /// <summary>The server's metrics.</summary>
    internal ServerMetrics Metrics { get; }

    /// <summary>
    /// The model a request names, or the first one when it names none. A server of one model answers whatever name is
    /// given, as it always has (OpenAI clients send their own model names).
    /// </summary>
    /// <exception cref="Http.ApiException">404 naming the served models when several are served and none has that name.</exception>
    internal ModelSlot Find(string? name) =>
        name is null || _slots.Count == 1 ? _slots[0]
        : _slots.FirstOrDefault(s => s.Name == name) ?? throw new Http.ApiException(404, Http.ErrorTypes.Validation,
            $"Model '{name}' is not served here; the served models are {string.Join(", ", _slots.Select(s => $"'{s.Name}'"))} (GET /v1/models).");

    /// <summary>Starts loading the models in the background.</summary>
    /// <param name="cancellationToken">Not used: loading continues after start-up.</param>
    /// <returns>A completed task.</returns>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(Load, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops taking inputs and waits for the queued ones (until the host's shutdown timeout).</summary>
    /// <param name="cancellationToken">Signalled when the host's shutdown timeout has passed.</param>
    /// <returns>When the batchers have stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(_slots.Select(s => s.Queue.StopAsync(cancellationToken))).ConfigureAwait(false);
        _logger.LogInformation("Batchers stopped; {InFlight} requests were in flight.", _slots.Sum(s => s.Queue.InFlight));
    }

    /// <summary>Disposes the batchers and the models.</summary>
    public void Dispose()
    {
        foreach (ModelSlot slot in _slots)
        {
            slot.Dispose();
        }
    }

    private void Load()
    {
        foreach (ModelSlot slot in _slots)
        {
            try
            {
                long start = Stopwatch.GetTimestamp();
                _logger.LogInformation("Loading {Model} from {Directory}", slot.Name, slot.Source.Directory);
                ServedModel model = slot.Load(_options);
                _logger.LogInformation(
                    "Ready: {Model} ({Architectures}) loaded and warmed in {LoadMs:0} ms; max input {MaxLength} tokens",
                    slot.Name, string.Join(", ", model.Config.Architectures), Stopwatch.GetElapsedTime(start).TotalMilliseconds, model.MaxLength);
            }
            catch (Exception e)
            {
                _logger.LogCritical("Cannot load the model {Model} from {Directory}: {Error}", slot.Name, slot.Source.Directory, e.Message);
                foreach (ModelSlot other in _slots)
                {
                    other.Abandon(e);
                }

                _lifetime.StopApplication();
                return;
            }
        }
    }
}
