using AlbertGen.Server.Engine;

namespace AlbertGen.Server.Tests;

/// <summary>How the batcher forms forward passes from waiting inputs.</summary>
public sealed class BatchPlannerTests
{
    private static readonly TestStage A = new("a");
    private static readonly TestStage B = new("b");

    private static WorkItem Item(ForwardStage stage, int length, int rows = 1) => new TestItem(stage, length, rows);

    [Fact]
    public void The_oldest_input_always_runs_even_alone_over_the_budget()
    {
        var pending = new List<WorkItem> { Item(A, 500), Item(A, 10) };
        List<WorkItem> batch = BatchPlanner.TakeNext(pending, maxBatchTokens: 100, maxBatchRows: null);
        Assert.Equal([500], batch.Select(i => i.Length));
        Assert.Equal([10], pending.Select(i => i.Length));
    }

    [Fact]
    public void Only_inputs_of_the_oldest_stage_join_its_batch()
    {
        var pending = new List<WorkItem> { Item(A, 10), Item(B, 10), Item(A, 12), Item(new TestStage("a"), 11) };
        List<WorkItem> batch = BatchPlanner.TakeNext(pending, 1000, null);
        Assert.All(batch, i => Assert.Same(A, i.Stage));
        Assert.Equal(2, batch.Count); // stages are told apart by reference: each served model makes its own once
        Assert.Equal(2, pending.Count);
        Assert.Same(B, pending[0].Stage);
    }

    [Fact]
    public void A_stage_that_needs_equal_rows_batches_only_inputs_with_as_many_rows()
    {
        var choices = new TestStage("multiple-choice", equalRows: true);
        var pending = new List<WorkItem> { Item(choices, 10, rows: 2), Item(choices, 10, rows: 3), Item(choices, 11, rows: 2) };
        List<WorkItem> batch = BatchPlanner.TakeNext(pending, 1000, null);
        Assert.Equal([2, 2], batch.Select(i => i.Rows));
        Assert.Equal([3], pending.Select(i => i.Rows));
    }

    [Fact]
    public void Padding_is_counted_from_the_real_tokens_the_preprocess_stage_reports()
    {
        // Two windows of 40 padded positions holding 50 real tokens together: 30 of 80 are padding (37.5 %).
        var pending = new List<WorkItem> { Item(A, 40), new TestItem(A, 40, rows: 2, tokens: 50) };
        Assert.Single(BatchPlanner.TakeNext(pending, 1000, null, maxPadding: 0.2));
        Assert.Single(BatchPlanner.TakeNext([Item(A, 40), new TestItem(A, 40, rows: 2, tokens: 50)], 1000, null, maxPadding: 0.3).Skip(1));
    }

    [Fact]
    public void Inputs_nearest_in_length_fill_the_padded_budget_first()
    {
        // Oldest is 20 tokens; budget 80 padded tokens: 20 + 21 + 19 = 3 rows × 21 = 63 fits, adding 40 (4 × 40 = 160) does not.
        var pending = new List<WorkItem> { Item(A, 20), Item(A, 40), Item(A, 21), Item(A, 19), Item(A, 60) };
        List<WorkItem> batch = BatchPlanner.TakeNext(pending, maxBatchTokens: 80, maxBatchRows: null);
        Assert.Equal([20, 21, 19], batch.Select(i => i.Length));
        Assert.Equal([40, 60], pending.Select(i => i.Length));
    }

    [Fact]
    public void Rows_of_multi_row_inputs_count_against_the_budget_and_the_row_limit()
    {
        var pending = new List<WorkItem> { Item(A, 10, rows: 4), Item(A, 10, rows: 4), Item(A, 10, rows: 1) };
        List<WorkItem> batch = BatchPlanner.TakeNext(pending, maxBatchTokens: 1000, maxBatchRows: 5);
        Assert.Equal([4, 1], batch.Select(i => i.Rows));
        Assert.Single(pending);
    }

    [Fact]
    public void Padding_over_its_allowed_share_leaves_an_input_for_a_batch_of_its_own_length()
    {
        // 10 with 12: 24 padded, 2 padding (8 %); adding 30 would make 90 padded with 38 padding (42 %).
        var pending = new List<WorkItem> { Item(A, 10), Item(A, 30), Item(A, 12) };
        List<WorkItem> batch = BatchPlanner.TakeNext(pending, maxBatchTokens: 1000, maxBatchRows: null, maxPadding: 0.25);
        Assert.Equal([10, 12], batch.Select(i => i.Length));
        Assert.Equal([30], pending.Select(i => i.Length));
        List<WorkItem> any = BatchPlanner.TakeNext([Item(A, 10), Item(A, 30), Item(A, 12)], 1000, null, maxPadding: 1);
        Assert.Equal(3, any.Count);
    }
}
