using System.CommandLine;
using System.Globalization;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen fill-mask</c>: the likeliest tokens for each <c>[MASK]</c> of a text.</summary>
internal static class FillMaskCommand
{
    public static Command Create(CliContext context)
    {
        var io = new TaskCommandSupport();
        var topK = new Option<int>("--top-k") { Description = "Candidates per mask.", DefaultValueFactory = _ => FillMaskPipeline.DefaultTopK };
        var targets = new Option<string[]>("--target") { Description = "Only consider this word (repeatable); a word that is not one token uses its first piece." };
        var command = new Command("fill-mask", "Predict the tokens behind [MASK] (HuggingFace fill-mask).") { topK, targets };
        io.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            string? jsonl = io.JsonlPath(parse);
            string? text = jsonl is null ? io.RequireText(parse) : null;
            PipelineOptions options = io.PipelineOptions(parse);
            using FillMaskPipeline pipeline = FillMaskPipeline.FromPretrained(io.Model.Resolve(parse), options);
            TaskCommandSupport.Warn(pipeline.Session.Warnings, context.Error);
            int k = parse.GetValue(topK);
            string[]? wanted = parse.GetValue(targets) is { Length: > 0 } t ? t : null;
            if (wanted is not null)
            {
                foreach (FillMaskTarget target in pipeline.ResolveTargets(wanted).Where(t => t.Note is not null))
                {
                    context.Error.WriteLine("note: " + target.Note);
                }
            }

            if (jsonl is not null)
            {
                var inputs = TaskCommandSupport.ReadJsonl(jsonl).Select(item => (item, item.Required("text"))).ToList();
                TaskCommandSupport.RunLines(inputs, options.BatchSize,
                    texts => [.. pipeline.PredictBatch(texts, k, wanted, cancellationToken).Select(Json)], context.Output, cancellationToken);
                return Task.CompletedTask;
            }

            FillMaskResult result = pipeline.Predict(text!, k, wanted, cancellationToken);
            context.Output.WriteLine(parse.GetValue(io.Json) ? TaskCommandSupport.ToJson(Json(result)) : Text(result));
            return Task.CompletedTask;
        });
        return command;
    }

    /// <summary>HuggingFace's shape: a list of candidates for one mask, a list of lists for several.</summary>
    private static object Json(FillMaskResult result)
    {
        var masks = result.Masks.Select(m => m.Select(c => new { score = c.Score, token = c.Token, token_str = c.TokenStr, sequence = c.Sequence }).ToList()).ToList();
        return masks.Count == 1 ? masks[0] : masks;
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
