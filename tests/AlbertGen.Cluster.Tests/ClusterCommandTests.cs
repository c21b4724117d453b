using AlbertGen.Cli;
using AlbertGen.Cli.Commands.Cluster;
using AlbertGen.Cluster.Jobs;
using AlbertGen.Tests;

namespace AlbertGen.Cluster.Tests;

/// <summary>
/// <c>albertgen cluster</c>'s checks before it reaches the cluster: one-line errors, exit code 1 for bad input or an
/// unreachable service and 2 for a command line that does not make sense.
/// </summary>
public sealed class ClusterCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new("cluster");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private static Task<string> FailsWithOneLine(params string[] args) => FailsWithOneLine(CliApp.InputError, args);

    private static Task<string> IsAUsageError(params string[] args) => FailsWithOneLine(CliApp.UsageError, args);

    private static async Task<string> FailsWithOneLine(int expectedCode, string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await CliApp.RunAsync(args, output, error);
        Assert.Equal(expectedCode, code);
        Assert.Equal("", output.ToString());
        Assert.Single(error.ToString().TrimEnd().Split('\n'));
        return error.ToString();
    }

    private static string[] Run(string input, params string[] more) =>
        ["cluster", "run", "--redis", "127.0.0.1:1", "--cluster-id", "c", "--input", input, "--output", Path.Combine(Path.GetTempPath(), "never"), .. more];

    [Fact]
    public async Task An_option_of_another_task_is_refused_by_name()
    {
        string input = ClusterTestFiles.Corpus(_temp.NewFolder(), 3);
        Assert.Contains("--pooling does not apply to --task classify", await IsAUsageError(Run(input, "--task", "classify", "--pooling", "cls")));
        Assert.Contains("--target does not apply to --task embed", await IsAUsageError(Run(input, "--task", "embed", "--target", "x")));
        Assert.Contains("--top-k does not apply to --task tag", await IsAUsageError(Run(input, "--task", "tag", "--top-k", "2")));
    }

    [Fact]
    public async Task A_missing_input_a_bad_shard_size_and_an_unknown_task_are_named()
    {
        string input = ClusterTestFiles.Corpus(_temp.NewFolder(), 3);
        Assert.Contains("nope.jsonl: no such input file.", await FailsWithOneLine(Run("nope.jsonl", "--task", "embed")));
        Assert.Contains("--shard-size must be at least 1, not 0.", await FailsWithOneLine(Run(input, "--task", "embed", "--shard-size", "0")));
        Assert.Contains("Argument 'answer' not recognized", await IsAUsageError(Run(input, "--task", "answer")));
    }

    [Fact]
    public async Task A_silo_or_client_without_a_reachable_redis_fails_at_once_naming_it()
    {
        Assert.Contains("cannot reach Redis at 127.0.0.1:1", await FailsWithOneLine("cluster", "silo", "--redis", "127.0.0.1:1", "--cluster-id", "c"));
        Assert.Contains("cannot reach Redis at 127.0.0.1:1", await FailsWithOneLine("cluster", "status", "--redis", "127.0.0.1:1", "--cluster-id", "c"));
    }

    [Fact]
    public async Task Lease_times_that_cannot_work_are_refused_before_the_cluster_is_reached()
    {
        string input = ClusterTestFiles.Corpus(_temp.NewFolder(), 3);
        Assert.Contains("--lease-renewal (30 s) must be at most half of --lease-time (40 s)", await FailsWithOneLine(Run(input, "--task", "embed", "--lease-time", "40", "--lease-renewal", "30")));
        Assert.Contains("--lease-time must be between 0 and 86400 seconds, not 0.", await FailsWithOneLine(Run(input, "--task", "embed", "--lease-time", "0")));
    }

    [Fact]
    public void Status_shows_each_running_shard_with_its_holder_since_when_and_its_lease_deadline()
    {
        var lease = new ShardLeaseRow
        {
            Shard = 7, Silo = "10.0.0.5:11111", Since = new DateTime(2026, 12, 8, 1, 2, 3, DateTimeKind.Utc),
            Deadline = new DateTime(2026, 12, 8, 1, 4, 3, 500, DateTimeKind.Utc), LeaseId = 19, Attempt = 2,
        };
        Assert.Equal("  shard     7  held by 10.0.0.5:11111         since 01:02:03Z  deadline 01:04:03.5Z  lease 19 (attempt 2)", ClusterStatusCommand.LeaseLine(lease));
    }
}
