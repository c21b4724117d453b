namespace AlbertGen.Cluster.Workers;

/// <summary>
/// Faults the cluster's multi-process tests inject into a silo's shard worker, set by environment variables and off
/// when they are unset: <c>ALBERTGEN_CLUSTER_TEST_HANG_SHARD=N</c> makes the worker hang on shard N without a
/// heartbeat while its silo stays healthy (until the silo stops); <c>ALBERTGEN_CLUSTER_TEST_SHARD_DELAY_MS=M</c>
/// makes each shard take M ms longer (working, so with heartbeats), so a test's fault lands mid-job.
/// </summary>
internal sealed record WorkerTestHooks(int? HangShard, TimeSpan ShardDelay)
{
    public const string HangShardVariable = "ALBERTGEN_CLUSTER_TEST_HANG_SHARD";

    public const string ShardDelayVariable = "ALBERTGEN_CLUSTER_TEST_SHARD_DELAY_MS";

    public static WorkerTestHooks FromEnvironment() => new(
        int.TryParse(Environment.GetEnvironmentVariable(HangShardVariable), out int shard) ? shard : null,
        TimeSpan.FromMilliseconds(int.TryParse(Environment.GetEnvironmentVariable(ShardDelayVariable), out int delay) ? delay : 0));

    /// <summary>Runs before the shard's lines: hangs on the chosen shard, or waits the delay while beating.</summary>
    public void BeforeShard(int shard, Action heartbeat, CancellationToken stopping)
    {
        if (HangShard == shard)
        {
            stopping.WaitHandle.WaitOne();
            stopping.ThrowIfCancellationRequested();
        }

        for (TimeSpan left = ShardDelay; left > TimeSpan.Zero; left -= TimeSpan.FromMilliseconds(100))
        {
            Thread.Sleep(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100));
            heartbeat();
        }
    }
}
