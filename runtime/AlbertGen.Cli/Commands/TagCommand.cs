using System.CommandLine;
using System.Globalization;
using AlbertGen.Batch;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen tag</c>: labels per token, optionally grouped into entities.</summary>
internal static class TagCommand
{
    public static Command Create(CliContext context)
    {
        var io = new TaskCommandSupport();
        var tag = new TagOptions();
        var command = new Command("tag", "Label tokens and group them into entities (HuggingFace token-classification / ner).");
        tag.AddTo(command);
        io.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            string? jsonl = io.JsonlPath(parse);
            string? text = jsonl is null ? io.RequireText(parse) : null;
            TagLinesSettings settings = io.Settings(parse, tag.Read(parse));
            using TokenClassificationPipeline pipeline = TokenClassificationPipeline.FromPretrained(io.Model.Resolve(parse), settings.ToPipelineOptions());
            TaskCommandSupport.Warn(pipeline.Session.Warnings, context.Error);
            if (jsonl is not null)
            {
                new TagLines(pipeline, settings).Run(JsonlReader.Read(jsonl), context.Output, cancellationToken);
                return Task.CompletedTask;
            }

            IReadOnlyList<TokenEntity> entities = pipeline.Predict(text!, settings.Aggregation, settings.Ignored(), cancellationToken);
            context.Output.WriteLine(parse.GetValue(io.Json) ? TaskCommandSupport.ToJson(TagLines.Json(entities)) : Text(entities));
            return Task.CompletedTask;
        });
        return command;
    }

    private static string Text(IReadOnlyList<TokenEntity> entities)
    {
        if (entities.Count == 0)
        {
            return "(no entities)";
        }

        int width = entities.Max(e => e.Entity.Length);
        return string.Join(Environment.NewLine, entities.Select(e =>
            string.Create(CultureInfo.InvariantCulture, $"{e.Entity.PadRight(width)}  {e.Score:0.0000}  [{e.Start},{e.End})  {e.Word}")));
    }
}

/// <summary>The options of <c>tag</c> that shape its results (shared with <c>cluster run --task tag</c>).</summary>
internal sealed class TagOptions
{
    public Option<string> Aggregation { get; } = new("--aggregation")
    {
        Description = "none (one entry per token), simple, first, average or max (entities grouped), as HuggingFace's aggregation_strategy.",
        DefaultValueFactory = _ => "none",
    };

    public Option<string[]> Ignore { get; } = new("--ignore-label") { Description = "Leave out this label or group (repeatable; default O)." };

    public Option<bool> KeepAll { get; } = new("--keep-all") { Description = "Ignore no label, not even O." };

    public IReadOnlyList<Option> All => [Aggregation, Ignore, KeepAll];

    public void AddTo(Command command)
    {
        Aggregation.AcceptOnlyFromAmong("none", "simple", "first", "average", "max");
        foreach (Option option in All)
        {
            command.Options.Add(option);
        }
    }

    public TagLinesSettings Read(ParseResult parse) => new()
    {
        Aggregation = Enum.Parse<AggregationStrategy>(parse.GetValue(Aggregation)!, ignoreCase: true),
        IgnoreLabels = parse.GetValue(KeepAll) ? [] : parse.GetValue(Ignore) is { Length: > 0 } labels ? labels : null,
    };
}
