using System.CommandLine;
using System.Globalization;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen embed</c>: a sentence vector per text.</summary>
internal static class EmbedCommand
{
    public static Command Create(CliContext context)
    {
        var io = new TaskCommandSupport();
        var pooling = new Option<string>("--pooling") { Description = "mean (masked mean of the last hidden state) or cls.", DefaultValueFactory = _ => "mean" };
        pooling.AcceptOnlyFromAmong("mean", "cls");
        var normalize = new Option<bool>("--normalize") { Description = "Scale each vector to unit length." };
        var command = new Command("embed", "Sentence embeddings from the last hidden state.") { pooling, normalize };
        io.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            string? jsonl = io.JsonlPath(parse);
            string? text = jsonl is null ? io.RequireText(parse) : null;
            var embedding = new SentenceEmbeddingOptions
            {
                Pooling = parse.GetValue(pooling) == "cls" ? EmbeddingPooling.Cls : EmbeddingPooling.Mean,
                Normalize = parse.GetValue(normalize),
            };
            PipelineOptions options = io.PipelineOptions(parse);
            using SentenceEmbeddingGenerator generator = SentenceEmbeddingGenerator.FromPretrained(io.Model.Resolve(parse), embedding, options);
            TaskCommandSupport.Warn(generator.Session.Warnings, context.Error);
            if (jsonl is not null)
            {
                var inputs = TaskCommandSupport.ReadJsonl(jsonl).Select(item => (item, item.Required("text"))).ToList();
                TaskCommandSupport.RunLines(inputs, options.BatchSize,
                    texts => [.. generator.Embed(texts, cancellationToken)], context.Output, cancellationToken);
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
