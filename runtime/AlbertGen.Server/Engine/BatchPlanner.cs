namespace AlbertGen.Server.Engine;

/// <summary>
/// Chooses the next forward pass from the waiting items: the oldest item (so nothing starves), then items of its stage
/// whose length is nearest to its own, while the padded size (rows × longest row, rows and lengths as the preprocess
/// stage made them) stays within the token budget and the padding within its allowed share of the padded size. ALBERT-base-sized models are bound by arithmetic already at a
/// single sentence, so padding costs them as much as real tokens; small models gain from any batch.
/// </summary>
internal static class BatchPlanner
{
    /// <summary>Removes the next batch from <paramref name="pending"/> (arrival order) and returns it.</summary>
    /// <param name="pending">Waiting items, oldest first; must not be empty.</param>
    /// <param name="maxBatchTokens">
    /// Padded-size budget. The routes split an input whose rows exceed it (windows of a long context) into items that fit;
    /// only a single row longer than the budget runs alone over it.
    /// </param>
    /// <param name="maxBatchRows">Most rows, or null.</param>
    /// <param name="maxPadding">Largest share of the padded size that may be padding (0 = equal lengths only, 1 = any).</param>
    /// <returns>The items of the batch, oldest first.</returns>
    public static List<WorkItem> TakeNext(List<WorkItem> pending, int maxBatchTokens, int? maxBatchRows, double maxPadding = 1)
    {
        WorkItem first = pending[0];
        var batch = new List<WorkItem> { first };
        int rows = first.Rows;
        int longest = first.Length;
        long real = first.Tokens;
        IEnumerable<WorkItem> candidates = pending.Skip(1)
            .Where(item => item.CanShareWith(first))
            .OrderBy(item => Math.Abs(item.Length - first.Length)); // stable: ties keep arrival order
        foreach (WorkItem item in candidates)
        {
            int newRows = rows + item.Rows;
            int newLongest = Math.Max(longest, item.Length);
            long padded = (long)newRows * newLongest;
            long newReal = real + item.Tokens;
            if (padded > maxBatchTokens || newRows > (maxBatchRows ?? int.MaxValue) || padded - newReal > maxPadding * padded)
            {
                continue; // a shorter or smaller item further on may still fit
            }

            batch.Add(item);
            rows = newRows;
            longest = newLongest;
            real = newReal;
        }

        var taken = new HashSet<WorkItem>(batch, ReferenceEqualityComparer.Instance);
        pending.RemoveAll(taken.Contains);
        batch.Sort((a, b) => a.EnqueuedAt.CompareTo(b.EnqueuedAt));
        return batch;
    }
}
