using System.Diagnostics;
using System.Threading.Channels;
using AlbertGen.Server.Http;
using AlbertGen.Server.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AlbertGen.Server.Engine;

/// <summary>
/// Dynamic batching: requests' inputs arrive preprocessed (tokenised once, on the request's thread) on a channel; one
/// consumer thread per served model forms batches under the token budget (<see cref="BatchPlanner"/>) and runs only their
/// forward passes: each item's output goes back to its request, which postprocesses it on its own thread. With an empty
/// queue an input runs at once: there is no waiting window, batches form from what queued while the model was busy.
/// </summary>
/// <remarks>
/// The consumer is a dedicated thread because a forward pass blocks its thread for its whole duration (libtorch spreads
/// it over the cores itself); on the thread pool it would hold a worker the HTTP side needs.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2213:Disposable fields should be disposed", Justification = "The abort source is cancelled, not disposed, while the consumer thread may read it.")]
internal sealed class InferenceQueue : IDisposable
{
    private readonly Channel<WorkItem> _channel = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly AlbertServerOptions _options;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly KeyValuePair<string, object?> _modelTag;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abort = new();
    private Thread? _thread;
    private volatile bool _closed;
    private int _inFlight;
    private int _waiting;
    private long _batches;

    public InferenceQueue(AlbertServerOptions options, ServerMetrics metrics, ILogger logger, string modelName)
    {
        _options = options;
        _metrics = metrics;
        _logger = logger;
        ModelName = modelName;
        _modelTag = new("model", modelName);
    }

    /// <summary>The served model's name (its <c>model</c> label, its thread's name).</summary>
    public string ModelName { get; }

    /// <summary>Inputs queued and not yet running.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Forward passes run so far.</summary>
    public long BatchesRun => Interlocked.Read(ref _batches);

    /// <summary>Requests holding a permit.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>True while the consumer runs and accepts work (false from the start of a shutdown).</summary>
    public bool IsRunning => _thread is not null && !_closed && !_stopped.Task.IsCompleted && !_abort.IsCancellationRequested;

    /// <summary>Starts the consumer thread.</summary>
    public void Start()
    {
        _thread = new Thread(Consume) { IsBackground = true, Name = $"albertgen-batcher {ModelName}" };
        _thread.Start();
    }

    /// <summary>
    /// Takes a slot for a request, or throws 429 when <see cref="AlbertServerOptions.MaxConcurrentRequests"/> are in flight.
    /// </summary>
    /// <returns>The permit; dispose it when the response is done.</returns>
    public IDisposable AcquirePermit()
    {
        if (Interlocked.Increment(ref _inFlight) > _options.MaxConcurrentRequests)
        {
            Interlocked.Decrement(ref _inFlight);
            throw new ApiException(StatusCodes.Status429TooManyRequests, ErrorTypes.Overloaded,
                $"Model is overloaded: {_options.MaxConcurrentRequests} requests are in flight (--max-concurrent-requests); retry later.");
        }

        return new Permit(this);
    }

    /// <summary>Called on the batcher thread with each batch as planned, before it runs (tests read the plans).</summary>
    public event Action<IReadOnlyList<WorkItem>>? BatchPlanned;

    /// <summary>Queues an input; its item completes when its batch has run.</summary>
    /// <exception cref="ApiException">503 when the server is stopping.</exception>
    public void Enqueue(WorkItem item)
    {
        Interlocked.Increment(ref _waiting);
        if (!_channel.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _waiting);
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unhealthy, "The server is shutting down.");
        }
    }

    /// <summary>Stops taking new inputs, lets the queued ones finish, and waits for the consumer (or gives up at <paramref name="cancellationToken"/>).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _closed = true;
        _channel.Writer.TryComplete();
        if (_thread is null)
        {
            return;
        }

        try
        {
            await _stopped.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Aborts the consumer (queued inputs fail) without waiting.</summary>
    public void Dispose()
    {
        _closed = true;
        _channel.Writer.TryComplete();
        _abort.Cancel(); // not disposed: the consumer thread may still be reading its token
    }

    private void Consume()
    {
        var pending = new List<WorkItem>();
        try
        {
            while (true)
            {
                if (pending.Count == 0 && !_channel.Reader.WaitToReadAsync(_abort.Token).AsTask().GetAwaiter().GetResult())
                {
                    break; // completed and drained
                }

                while (_channel.Reader.TryRead(out WorkItem? item))
                {
                    pending.Add(item);
                }

                foreach (WorkItem abandoned in pending.Where(i => i.CancellationToken.IsCancellationRequested).ToList())
                {
                    pending.Remove(abandoned);
                    Interlocked.Decrement(ref _waiting);
                    abandoned.Cancel();
                }

                if (pending.Count > 0)
                {
                    List<WorkItem> batch = BatchPlanner.TakeNext(pending, _options.MaxBatchTokens, _options.MaxBatchRequests, _options.MaxBatchPadding);
                    Interlocked.Add(ref _waiting, -batch.Count);
                    BatchPlanned?.Invoke(batch);
                    RunBatch(batch);
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Aborted: fail what is left below.
        }
        catch (Exception e)
        {
            _logger.LogCritical(e, "The batcher stopped on an unexpected error; the server reports itself unhealthy.");
        }
        finally
        {
            var unhealthy = new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unhealthy, "The model's batcher has stopped.");
            foreach (WorkItem left in pending)
            {
                left.Fail(unhealthy);
            }

            while (_channel.Reader.TryRead(out WorkItem? item))
            {
                item.Fail(unhealthy);
            }

            _stopped.TrySetResult();
        }
    }

    private void RunBatch(List<WorkItem> batch)
    {
        long id = Interlocked.Increment(ref _batches);
        long start = Stopwatch.GetTimestamp();
        foreach (WorkItem item in batch)
        {
            item.Started(id, start);
        }

        int rows = batch.Sum(i => i.Rows);
        int padded = rows * batch.Max(i => i.Length);
        try
        {
            batch[0].Stage.Run(batch, start);
        }
        catch (Exception e) when (batch.Count > 1 && e is not OutOfMemoryException)
        {
            // One bad input must not fail its neighbours: run each alone, so the error reaches only its own request.
            foreach (WorkItem item in batch)
            {
                RunBatch([item]);
            }

            return;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            batch[0].Fail(e);
        }

        _metrics.BatchSize.Record(rows, _modelTag);
        _metrics.BatchTokens.Record(padded, _modelTag);
        _metrics.BatchDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, _modelTag);
        _logger.LogDebug("Batch {BatchId} ({Stage}): {Inputs} inputs, {Rows} rows, {PaddedTokens} padded tokens, {Milliseconds:0.0} ms",
            id, batch[0].Stage.Name, batch.Count, rows, padded, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    private sealed class Permit(InferenceQueue queue) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref queue._inFlight);
            }
        }
    }
}
