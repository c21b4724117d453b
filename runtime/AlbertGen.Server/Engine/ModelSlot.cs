using AlbertGen.Server.Telemetry;
using Microsoft.Extensions.Logging;

namespace AlbertGen.Server.Engine;

/// <summary>One served model: its name, its queue and batcher, and the model once loaded.</summary>
internal sealed class ModelSlot : IDisposable
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ServedModel? _model;

    public ModelSlot(ServedModelSource source, AlbertServerOptions options, ServerMetrics metrics, ILogger logger)
    {
        Source = source;
        Queue = new InferenceQueue(options, metrics, logger, source.Name);
    }

    public ServedModelSource Source { get; }

    /// <summary>The name requests choose it by.</summary>
    public string Name => Source.Name;

    public InferenceQueue Queue { get; }

    /// <summary>The model once loaded, else null.</summary>
    public ServedModel? Model => _ready.Task.IsCompletedSuccessfully ? _model : null;

    /// <summary>True once the model is loaded and warmed and its batcher runs.</summary>
    public bool IsReady => _ready.Task.IsCompletedSuccessfully && Queue.IsRunning;

    public Task Ready => _ready.Task;

    public Exception? LoadError => _ready.Task.Exception?.InnerException;

    /// <summary>Loads and warms the model and starts its batcher.</summary>
    public ServedModel Load(AlbertServerOptions options)
    {
        try
        {
            _model = ServedModel.Load(Source, options);
            _model.WarmUp();
            Queue.Start();
            _ready.TrySetResult();
            return _model;
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }
    }

    /// <summary>Marks a model that will not be loaded (another one failed first).</summary>
    public void Abandon(Exception why) => _ready.TrySetException(why);

    public void Dispose()
    {
        Queue.Dispose();
        _model?.Dispose();
    }
}
