using System.Diagnostics;
using AlbertGen.Tasks;

namespace AlbertGen.Server.Engine;

/// <summary>
/// One preprocessed input of a request (its encodings, made on the request's thread), waiting for the batcher. Items of
/// the same <see cref="Stage"/> and shape may share a forward pass; a request of several inputs is several items.
/// </summary>
internal abstract class WorkItem
{
    /// <param name="stage">The forward stage it runs through.</param>
    /// <param name="rows">Rows it occupies in a pass, as its preprocess stage made them.</param>
    /// <param name="length">Tokens of its longest row.</param>
    /// <param name="tokens">Its real tokens.</param>
    /// <param name="cancellationToken">The request's abort token: an abandoned item is dropped before it runs.</param>
    protected WorkItem(ForwardStage stage, int rows, int length, int tokens, CancellationToken cancellationToken)
    {
        Stage = stage;
        Rows = rows;
        Length = length;
        Tokens = tokens;
        CancellationToken = cancellationToken;
        EnqueuedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>The forward stage it runs through.</summary>
    public ForwardStage Stage { get; }

    /// <summary>Rows it occupies in a forward pass (choices of a multiple-choice input, windows of a long context).</summary>
    public int Rows { get; }

    /// <summary>Tokens of its longest row: a pass holding it is padded to at least this.</summary>
    public int Length { get; }

    /// <summary>Real tokens of its rows.</summary>
    public int Tokens { get; }

    public CancellationToken CancellationToken { get; }

    public long EnqueuedAt { get; }

    /// <summary>Time spent waiting in the queue.</summary>
    public TimeSpan QueueTime { get; private set; }

    /// <summary>Duration of the forward pass it ran in.</summary>
    public TimeSpan InferenceTime { get; private set; }

    /// <summary>Number of the batch it ran in (items of one request may share one).</summary>
    public long BatchId { get; private set; }

    /// <summary>Whether it may share a pass with <paramref name="other"/>: same stage, and equal rows where the stage needs it.</summary>
    public bool CanShareWith(WorkItem other) => ReferenceEquals(Stage, other.Stage) && (!Stage.EqualRows || Rows == other.Rows);

    public void Started(long batchId, long startedAt)
    {
        BatchId = batchId;
        QueueTime = Stopwatch.GetElapsedTime(EnqueuedAt, startedAt);
    }

    public void Ran(TimeSpan inference) => InferenceTime = inference;

    public abstract void Fail(Exception error);

    public abstract void Cancel();
}

/// <summary>A work item whose forward stage gives <typeparamref name="TRaw"/>, which its request postprocesses.</summary>
internal sealed class WorkItem<TPrepared, TRaw> : WorkItem
    where TPrepared : PreparedInput
{
    // Continuations run asynchronously: the request's postprocessing must not run on the batcher thread.
    private readonly TaskCompletionSource<TRaw> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WorkItem(ForwardStage<TPrepared, TRaw> stage, TPrepared input, CancellationToken cancellationToken)
        : base(stage, input.RowCount, input.Length, input.Tokens, cancellationToken)
    {
        Input = input;
    }

    public TPrepared Input { get; }

    /// <summary>The forward stage's output for this input, once its batch has run.</summary>
    public Task<TRaw> Completion => _done.Task;

    public void Complete(TRaw output) => _done.TrySetResult(output);

    public override void Fail(Exception error) => _done.TrySetException(error);

    public override void Cancel() => _done.TrySetCanceled(CancellationToken);
}
