using AlbertGen.Server.Engine;

namespace AlbertGen.Server.Tests;

/// <summary>A work item of given size, for driving the planner and the queue without a model.</summary>
internal sealed class TestItem(ForwardStage stage, int length, int rows = 1, int? tokens = null)
    : WorkItem(stage, rows, length, tokens ?? (rows * length), CancellationToken.None)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Completion => _done.Task;

    public void Complete() => _done.TrySetResult();

    public override void Fail(Exception error) => _done.TrySetException(error);

    public override void Cancel() => _done.TrySetCanceled();
}

/// <summary>A forward stage that runs nothing; with a gate, it holds the batcher until the gate opens.</summary>
internal sealed class TestStage(string name, bool equalRows = false, ManualResetEventSlim? running = null, ManualResetEventSlim? gate = null)
    : ForwardStage(name, equalRows)
{
    public override void Run(IReadOnlyList<WorkItem> batch, long startedAt)
    {
        running?.Set();
        gate?.Wait();
        foreach (TestItem item in batch.Cast<TestItem>())
        {
            item.Complete();
        }
    }
}
