using System.CommandLine;
using AlbertGen.Batch;
using AlbertGen.Cli.Progress;
using AlbertGen.Cluster.Hosting;
using AlbertGen.Cluster.Jobs;
using AlbertGen.Cluster.Workers;
using AlbertGen.Hub;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands.Cluster;

/// <summary>
/// <c>albertgen cluster run</c>: submits a JSON-lines job (or attaches to it again with the same <c>--job</c>), shows
/// its progress and exits 0 when every line has its result. Ctrl-C detaches: the job goes on in the cluster.
/// </summary>
internal static class ClusterRunCommand
{
    /// <summary>Exit code after Ctrl-C detached from a job that goes on.</summary>
    public const int Detached = 130;

    private static readonly string[] Tasks = [EmbedLinesSettings.Name, ClassifyLinesSettings.Name, TagLinesSettings.Name, FillMaskLinesSettings.Name];

    public static Command Create(CliContext context)
    {
        var connection = new ClusterConnectionOptions();
        var io = new TaskCommandSupport();
        var embed = new EmbedOptions();
        var classify = new ClassifyOptions();
        var tag = new TagOptions();
        var fillMask = new FillMaskOptions();
        var task = new Option<string>("--task") { Description = "embed, classify, tag or fill-mask.", Required = true };
        task.AcceptOnlyFromAmong(Tasks);
        var input = new Option<string>("--input") { Description = "The JSON-lines input (as in --input-jsonl), at a path every silo can read.", Required = true };
        var output = new Option<string>("--output") { Description = "Folder for part-NNNNN.jsonl (in input order by name), at a path every silo can write.", Required = true };
        var shardSize = new Option<int>("--shard-size") { Description = "Input lines per shard.", DefaultValueFactory = _ => 1000 };
        var maxAttempts = new Option<int>("--max-attempts") { Description = "Times a shard is started (lost silos included) before the job gives it up.", DefaultValueFactory = _ => 3 };
        var job = new Option<string?>("--job") { Description = "The job's id (default: a new one); the same id and arguments attach to a job again." };
        var command = new Command("run", "Run a JSON-lines job on the cluster and show its progress (Ctrl-C detaches; the job goes on).")
        {
            task, input, output, shardSize, maxAttempts, job,
        };
        connection.AddTo(command);
        io.AddPipelineOptionsTo(command, device: false);
        embed.AddTo(command);
        classify.AddTo(command);
        tag.AddTo(command);
        fillMask.AddTo(command);
        var options = new Dictionary<string, IReadOnlyList<Option>>
        {
            [EmbedLinesSettings.Name] = embed.All,
            [ClassifyLinesSettings.Name] = classify.Options,
            [TagLinesSettings.Name] = tag.All,
            [FillMaskLinesSettings.Name] = [.. fillMask.All, classify.TopK],
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            string name = parse.GetValue(task)!;
            foreach (Option option in options.Where(o => o.Key != name).SelectMany(o => o.Value).Except(options[name]).Distinct())
            {
                if (parse.GetResult(option) is { Implicit: false })
                {
                    throw new UsageException($"{option.Name} does not apply to --task {name}.");
                }
            }

            JsonlTaskSettings settings = name switch
            {
                EmbedLinesSettings.Name => io.Settings(parse, embed.Read(parse)),
                ClassifyLinesSettings.Name => io.Settings(parse, classify.Read(parse)),
                TagLinesSettings.Name => io.Settings(parse, tag.Read(parse)),
                _ => io.Settings(parse, fillMask.Read(parse, parse.GetValue(classify.TopK) ?? FillMaskPipeline.DefaultTopK)),
            };
            ModelReference model = Model(context, io.Model, parse);
            JobSpec spec = ClusterJobClient.Plan(parse.GetValue(input)!, parse.GetValue(output)!, model, settings, parse.GetValue(shardSize), parse.GetValue(maxAttempts));
            string id = parse.GetValue(job) ?? $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";

            await using ConnectedClient client = await connection.Connect(parse, cancellationToken);
            JobProgress submitted = await client.Jobs.Submit(id, spec);
            context.Error.WriteLine($"job {id}: {name} of {submitted.TotalLines} lines in {submitted.Shards} shards, {spec.InputPath} -> {spec.OutputDirectory}; Ctrl-C detaches (the job goes on).");
            var display = new ClusterJobProgress(context.Error, TerminalProgress.IsInteractive(context.Error));
            JobProgress final;
            try
            {
                final = await client.Jobs.Wait(id, display.Report, TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                display.End();
                string where = $"--redis {parse.GetValue(connection.Redis)} --cluster-id {parse.GetValue(connection.ClusterId)}";
                context.Error.WriteLine($"detached from job {id}, which goes on in the cluster. Watch it: albertgen cluster status {where} --job {id} "
                    + $"(or this command again with --job {id}); stop it: albertgen cluster cancel {where} --job {id}");
                return Detached;
            }

            display.End();
            return final.Status switch
            {
                JobStatus.Completed => Completed(context, final, spec),
                JobStatus.Failed => throw new InvalidDataException($"job {id} failed: {string.Join("; ", final.Errors)}"),
                _ => throw new InvalidOperationException($"job {id} is {final.Status.ToString().ToLowerInvariant()}; its parts so far are in {spec.OutputDirectory}."),
            };
        });
        return command;
    }

    private static int Completed(CliContext context, JobProgress final, JobSpec spec)
    {
        double seconds = ((final.Finished ?? DateTime.UtcNow) - final.Submitted).TotalSeconds;
        context.Error.WriteLine(FormattableString.Invariant(
            $"job {final.JobId}: completed, {final.TotalLines} lines in {final.Shards} parts in {spec.OutputDirectory} ({seconds:0.00} s, silos busy {final.ShardSeconds:0.00} s, {final.Retries} shard reruns)."));
        return 0;
    }

    /// <summary>
    /// The job's model: a local directory made absolute, a hub id as given. Its hash is taken here when this machine has
    /// the model; otherwise the first silo's copy sets it.
    /// </summary>
    private static ModelReference Model(CliContext context, ModelOptions options, ParseResult parse)
    {
        string? given = parse.GetValue(options.Model);
        string revision = parse.GetValue(options.Revision) ?? HubRevision.Main;
        string? name = string.IsNullOrEmpty(given) ? null : Directory.Exists(given) ? Path.GetFullPath(given) : given;
        try
        {
            return new ModelReference { Model = name, Revision = revision, Sha256 = ModelHash.Compute(options.Resolve(parse)) };
        }
        catch (Exception e) when (CliErrors.IsInputError(e) && name is not null)
        {
            context.Error.WriteLine($"note: {name} is not on this machine ({CliErrors.Describe(e)}); the first silo's copy sets the hash the others must match.");
            return new ModelReference { Model = name, Revision = revision };
        }
    }
}
