using System.Diagnostics;

namespace AlbertGen.Server.Engine;

/// <summary>
/// One input of a request, tokenised on arrival and waiting for the batcher. Items of equal <see cref="Kind"/> may share a
/// forward pass; a request of several inputs is several items.
/// </summary>
internal sealed class WorkItem
{
    private readonly TaskCompletionSource<object> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="kind">How it runs, and which items it may run with.</param>
    /// <param name="input">The pipeline input (a text, a pair, a question with its context, …).</param>
    /// <param name="rows">Rows it occupies in a forward pass (choices of a multiple-choice input, windows of a long context).</param>
    /// <param name="length">Tokens per row after truncation: the padded length it needs.</param>
    /// <param name="cancellationToken">The request's abort token: an abandoned item is dropped before it runs.</param>
    public WorkItem(WorkKind kind, object input, int rows, int length, CancellationToken cancellationToken)
    {
        Kind = kind;
        Input = input;
        Rows = rows;
        Length = length;
        CancellationToken = cancellationToken;
        EnqueuedAt = Stopwatch.GetTimestamp();
    }

    public WorkKind Kind { get; }

    public object Input { get; }

    public int Rows { get; }

    public int Length { get; }

    public CancellationToken CancellationToken { get; }

    public long EnqueuedAt { get; }

    /// <summary>Time spent waiting in the queue.</summary>
    public TimeSpan QueueTime { get; private set; }

    /// <summary>Duration of the forward pass (and post-processing) the item ran in.</summary>
    public TimeSpan InferenceTime { get; private set; }

    /// <summary>Number of the batch it ran in (items of one request may share one).</summary>
    public long BatchId { get; private set; }

    /// <summary>The result, once the batch has run.</summary>
    public Task<object> Completion => _done.Task;

    public void Started(long batchId, long startedAt)
    {
        BatchId = batchId;
        QueueTime = Stopwatch.GetElapsedTime(EnqueuedAt, startedAt);
    }

    public void Complete(object result, TimeSpan inference)
    {
        InferenceTime = inference;
        _done.TrySetResult(result);
    }

    public void Fail(Exception error) => _done.TrySetException(error);

    public void Cancel() => _done.TrySetCanceled(CancellationToken);
}
