using System.CommandLine;
using System.Globalization;
using AlbertGen.Batch;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen embed</c>: a sentence vector per text.</summary>
internal static class EmbedCommand
{
    public static Command Create(CliContext context)
    {
        var io = new TaskCommandSupport();
        var embed = new EmbedOptions();
        var command = new Command("embed", "Sentence embeddings from the last hidden state.");
        embed.AddTo(command);
        io.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            string? jsonl = io.JsonlPath(parse);
            string? text = jsonl is null ? io.RequireText(parse) : null;
            EmbedLinesSettings settings = io.Settings(parse, embed.Read(parse));
            using SentenceEmbeddingGenerator generator = SentenceEmbeddingGenerator.FromPretrained(
                io.Model.Resolve(parse), settings.EmbeddingOptions(), settings.ToPipelineOptions());
            TaskCommandSupport.Warn(generator.Session.Warnings, context.Error);
            if (jsonl is not null)
            {
                new EmbedLines(generator, settings.BatchSize).Run(JsonlReader.Read(jsonl), context.Output, cancellationToken);
                return Task.CompletedTask;
            }

            float[] vector = generator.Embed(text!, cancellationToken);
            context.Output.WriteLine(parse.GetValue(io.Json)
                ? TaskCommandSupport.ToJson(vector)
                : string.Join(" ", vector.Select(v => v.ToString("0.000000", CultureInfo.InvariantCulture))));
            return Task.CompletedTask;
        });
        return command;
    }
}

/// <summary>The options of <c>embed</c> that shape its results (shared with <c>cluster run --task embed</c>).</summary>
internal sealed class EmbedOptions
{
    public Option<string> Pooling { get; } = new("--pooling") { Description = "mean (masked mean of the last hidden state) or cls.", DefaultValueFactory = _ => "mean" };

    public Option<bool> Normalize { get; } = new("--normalize") { Description = "Scale each vector to unit length." };

    public IReadOnlyList<Option> All => [Pooling, Normalize];

    public void AddTo(Command command)
    {
        Pooling.AcceptOnlyFromAmong("mean", "cls");
        foreach (Option option in All)
        {
            command.Options.Add(option);
        }
    }

    public EmbedLinesSettings Read(ParseResult parse) => new()
    {
        Pooling = parse.GetValue(Pooling) == "cls" ? EmbeddingPooling.Cls : EmbeddingPooling.Mean,
        Normalize = parse.GetValue(Normalize),
    };
}
