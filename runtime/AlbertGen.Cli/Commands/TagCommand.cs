using System.CommandLine;
using System.Globalization;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen tag</c>: labels per token, optionally grouped into entities.</summary>
internal static class TagCommand
{
    public static Command Create(CliContext context)
    {
        var io = new TaskCommandSupport();
        var aggregation = new Option<string>("--aggregation")
        {
            Description = "none (one entry per token), simple, first, average or max (entities grouped), as HuggingFace's aggregation_strategy.",
            DefaultValueFactory = _ => "none",
        };
        aggregation.AcceptOnlyFromAmong("none", "simple", "first", "average", "max");
        var ignore = new Option<string[]>("--ignore-label") { Description = "Leave out this label or group (repeatable; default O)." };
        var keepAll = new Option<bool>("--keep-all") { Description = "Ignore no label, not even O." };
        var command = new Command("tag", "Label tokens and group them into entities (HuggingFace token-classification / ner).") { aggregation, ignore, keepAll };
        io.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            string? jsonl = io.JsonlPath(parse);
            string? text = jsonl is null ? io.RequireText(parse) : null;
            AggregationStrategy strategy = Enum.Parse<AggregationStrategy>(parse.GetValue(aggregation)!, ignoreCase: true);
            IReadOnlyCollection<string> ignored = parse.GetValue(keepAll) ? []
                : parse.GetValue(ignore) is { Length: > 0 } labels ? labels : TokenClassificationPipeline.DefaultIgnoreLabels;
            PipelineOptions options = io.PipelineOptions(parse);
            using TokenClassificationPipeline pipeline = TokenClassificationPipeline.FromPretrained(io.Model.Resolve(parse), options);
            TaskCommandSupport.Warn(pipeline.Session.Warnings, context.Error);
            if (jsonl is not null)
            {
                var inputs = TaskCommandSupport.ReadJsonl(jsonl).Select(item => (item, item.Required("text"))).ToList();
                TaskCommandSupport.RunLines(inputs, options.BatchSize,
                    texts => [.. pipeline.PredictBatch(texts, strategy, ignored, cancellationToken).Select(Json)], context.Output, cancellationToken);
                return Task.CompletedTask;
            }

            IReadOnlyList<TokenEntity> entities = pipeline.Predict(text!, strategy, ignored, cancellationToken);
            context.Output.WriteLine(parse.GetValue(io.Json) ? TaskCommandSupport.ToJson(Json(entities)) : Text(entities));
            return Task.CompletedTask;
        });
        return command;
    }

    /// <summary>HuggingFace's fields: <c>entity</c> and <c>index</c> for tokens, <c>entity_group</c> for groups.</summary>
    private static List<object> Json(IReadOnlyList<TokenEntity> entities) =>
    [
        .. entities.Select(e => e.Index is int index
            ? (object)new { entity = e.Entity, score = e.Score, index, word = e.Word, start = e.Start, end = e.End }
            : new { entity_group = e.Entity, score = e.Score, word = e.Word, start = e.Start, end = e.End }),
    ];

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
