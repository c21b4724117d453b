using System.CommandLine;
using System.Globalization;
using AlbertGen.Batch;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen fill-mask</c>: the likeliest tokens for each <c>[MASK]</c> of a text.</summary>
internal static class FillMaskCommand
{
    public static Command Create(CliContext context)
    {
        var io = new TaskCommandSupport();
        var fill = new FillMaskOptions();
        var topK = new Option<int>("--top-k") { Description = "Candidates per mask.", DefaultValueFactory = _ => FillMaskPipeline.DefaultTopK };
        var command = new Command(AlbertHeadRegistry.Of(AlbertHeads.MaskedLM).Pipeline!, "Predict the tokens behind [MASK] (HuggingFace fill-mask).") { topK };
        fill.AddTo(command);
        io.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            string? jsonl = io.JsonlPath(parse);
            string? text = jsonl is null ? io.RequireText(parse) : null;
            FillMaskLinesSettings settings = io.Settings(parse, fill.Read(parse, parse.GetValue(topK)));
            using FillMaskPipeline pipeline = FillMaskPipeline.FromPretrained(io.Model.Resolve(parse), settings.ToPipelineOptions());
            TaskCommandSupport.Warn(pipeline.Session.Warnings, context.Error);
            if (settings.Targets is not null)
            {
                foreach (FillMaskTarget target in pipeline.ResolveTargets(settings.Targets).Where(t => t.Note is not null))
                {
                    context.Error.WriteLine("note: " + target.Note);
                }
            }

            if (jsonl is not null)
            {
                new FillMaskLines(pipeline, settings).Run(JsonlReader.Read(jsonl), context.Output, cancellationToken);
                return Task.CompletedTask;
            }

            FillMaskResult result = pipeline.Predict(text!, settings.TopK, settings.Targets, cancellationToken);
            context.Output.WriteLine(parse.GetValue(io.Json) ? TaskCommandSupport.ToJson(FillMaskLines.Json(result)) : Text(result));
            return Task.CompletedTask;
        });
        return command;
    }

    private static string Text(FillMaskResult result)
    {
        var lines = new List<string>();
        for (int m = 0; m < result.Masks.Count; m++)
        {
            if (result.Masks.Count > 1)
            {
                lines.Add($"mask {m + 1} (token {result.MaskPositions[m]}):");
            }

            int width = result.Masks[m].Select(c => c.TokenStr.Length).DefaultIfEmpty(0).Max();
            lines.AddRange(result.Masks[m].Select(c =>
                string.Create(CultureInfo.InvariantCulture, $"{c.Score,8:0.0000}  {c.TokenStr.PadRight(width)}  {c.Sequence}")));
        }

        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// The options of <c>fill-mask</c> that shape its results besides <c>--top-k</c> (shared with <c>cluster run --task
/// fill-mask</c>, where <c>--top-k</c> is one option for both classify and fill-mask).
/// </summary>
internal sealed class FillMaskOptions
{
    public Option<string[]> Targets { get; } = new("--target") { Description = "Only consider this word (repeatable); a word that is not one token uses its first piece." };

    public IReadOnlyList<Option> All => [Targets];

    public void AddTo(Command command) => command.Options.Add(Targets);

    public FillMaskLinesSettings Read(ParseResult parse, int topK) => new()
    {
        TopK = topK,
        Targets = parse.GetValue(Targets) is { Length: > 0 } t ? t : null,
    };
}
