using System.CommandLine;
using System.Globalization;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen classify</c>: label and score of a text or text pair.</summary>
internal static class ClassifyCommand
{
    public static Command Create(CliContext context)
    {
        var io = new TaskCommandSupport();
        var pair = new Option<string?>("--pair") { Description = "Second text of a pair." };
        var topK = new Option<int?>("--top-k") { Description = "How many labels (best first); the default 1 prints one object, more print a list." };
        var all = new Option<bool>("--all") { Description = "Every label, best first." };
        var function = new Option<string?>("--function") { Description = "softmax, sigmoid or none; default as HuggingFace (by problem_type and num_labels)." };
        function.AcceptOnlyFromAmong("softmax", "sigmoid", "none");
        var command = new Command("classify", "Classify a text or text pair (HuggingFace text-classification).") { pair, topK, all, function };
        io.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            string? jsonl = io.JsonlPath(parse);
            string? text = jsonl is null ? io.RequireText(parse) : null;
            if (parse.GetValue(all) && parse.GetValue(topK) is not null)
            {
                throw new ArgumentException("give --top-k or --all, not both.");
            }

            int? k = parse.GetValue(all) ? null : parse.GetValue(topK) ?? 1;
            bool list = k != 1;
            ClassificationFunction? apply = parse.GetValue(function) switch
            {
                "softmax" => ClassificationFunction.Softmax,
                "sigmoid" => ClassificationFunction.Sigmoid,
                "none" => ClassificationFunction.None,
                _ => null,
            };
            PipelineOptions options = io.PipelineOptions(parse);
            using TextClassificationPipeline<string> pipeline = TextClassificationPipeline.FromPretrained(io.Model.Resolve(parse), options);
            TaskCommandSupport.Warn(pipeline.Session.Warnings, context.Error);
            if (jsonl is not null)
            {
                if (parse.GetValue(pair) is not null)
                {
                    throw new ArgumentException("with --input-jsonl, give pairs as \"text_pair\" on each line instead of --pair.");
                }

                var inputs = TaskCommandSupport.ReadJsonl(jsonl).Select(item => (item, (item.Required("text"), item.Optional("text_pair")))).ToList();
                TaskCommandSupport.RunLines(inputs, options.BatchSize,
                    batch => [.. pipeline.ClassifyBatch(batch, k, apply, cancellationToken).Select(r => Json(r, list))], context.Output, cancellationToken);
                return Task.CompletedTask;
            }

            IReadOnlyList<TextClassification<string>> result = pipeline.Classify(text!, parse.GetValue(pair), k, apply, cancellationToken);
            context.Output.WriteLine(parse.GetValue(io.Json)
                ? TaskCommandSupport.ToJson(Json(result, list))
                : string.Join(Environment.NewLine, result.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Label}\t{r.Score:0.0000}"))));
            return Task.CompletedTask;
        });
        return command;
    }

    private static object Json(IReadOnlyList<TextClassification<string>> result, bool list)
    {
        var items = result.Select(r => new { label = r.Label, score = r.Score }).ToList();
        return list ? items : items[0];
    }
}
