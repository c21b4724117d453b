using System.Diagnostics;
using AlbertGen.Tasks;

namespace AlbertGen.Server.Engine;

/// <summary>
/// A pipeline's forward stage as the batcher runs it: one pass over the batch's encodings, nothing else (tokenising is
/// done before the queue, postprocessing after it, both on the requests' threads). Items of one stage may share a pass;
/// each served model makes its stages once, so the batcher groups items by reference.
/// </summary>
internal abstract class ForwardStage(string name, bool equalRows)
{
    /// <summary>What it is, for logs.</summary>
    public string Name { get; } = name;

    /// <summary>Whether only items of equal row counts may share a pass (multiple choice: <c>[prompts, choices, S]</c>).</summary>
    public bool EqualRows { get; } = equalRows;

    /// <summary>Runs the batch's forward pass and completes each item with its output.</summary>
    /// <param name="batch">Items of this stage.</param>
    /// <param name="startedAt">When the pass started (<see cref="Stopwatch.GetTimestamp"/>), for the items' inference time.</param>
    public abstract void Run(IReadOnlyList<WorkItem> batch, long startedAt);
}

/// <summary>The forward stage of a pipeline whose preprocess gives <typeparamref name="TPrepared"/>.</summary>
internal sealed class ForwardStage<TPrepared, TRaw>(string name, Func<IReadOnlyList<TPrepared>, IReadOnlyList<TRaw>> forward, bool equalRows = false)
    : ForwardStage(name, equalRows)
    where TPrepared : PreparedInput
{
    /// <summary>A work item of this stage for one input.</summary>
    public WorkItem<TPrepared, TRaw> Item(TPrepared input, CancellationToken cancellationToken) => new(this, input, cancellationToken);

    public override void Run(IReadOnlyList<WorkItem> batch, long startedAt)
    {
        var items = batch.Cast<WorkItem<TPrepared, TRaw>>().ToList();
        IReadOnlyList<TRaw> outputs = forward([.. items.Select(i => i.Input)]);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(startedAt);
        for (int i = 0; i < items.Count; i++)
        {
            items[i].Ran(elapsed);
            items[i].Complete(outputs[i]);
        }
    }
}
