using System.CommandLine;
using System.Globalization;
using AlbertGen.Batch;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen classify</c>: label and score of a text or text pair.</summary>
internal static class ClassifyCommand
{
    public static Command Create(CliContext context)
    {
        var io = new TaskCommandSupport();
        var classify = new ClassifyOptions();
        var pair = new Option<string?>("--pair") { Description = "Second text of a pair." };
        var command = new Command("classify", "Classify a text or text pair (HuggingFace text-classification).") { pair };
        classify.AddTo(command);
        io.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            string? jsonl = io.JsonlPath(parse);
            string? text = jsonl is null ? io.RequireText(parse) : null;
            ClassifyLinesSettings settings = io.Settings(parse, classify.Read(parse));
            using TextClassificationPipeline<string> pipeline = TextClassificationPipeline.FromPretrained(io.Model.Resolve(parse), settings.ToPipelineOptions());
            TaskCommandSupport.Warn(pipeline.Session.Warnings, context.Error);
            if (jsonl is not null)
            {
                if (parse.GetValue(pair) is not null)
                {
                    throw new UsageException("with --input-jsonl, give pairs as \"text_pair\" on each line instead of --pair.");
                }

                new ClassifyLines(pipeline, settings).Run(JsonlReader.Read(jsonl), context.Output, cancellationToken);
                return Task.CompletedTask;
            }

            IReadOnlyList<TextClassification<string>> result = pipeline.Classify(text!, parse.GetValue(pair), settings.TopK, settings.Function, cancellationToken);
            context.Output.WriteLine(parse.GetValue(io.Json)
                ? TaskCommandSupport.ToJson(ClassifyLines.Json(result, settings.TopK != 1))
                : string.Join(Environment.NewLine, result.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Label}\t{r.Score:0.0000}"))));
            return Task.CompletedTask;
        });
        return command;
    }
}

/// <summary>The options of <c>classify</c> that shape its results (shared with <c>cluster run --task classify</c>).</summary>
internal sealed class ClassifyOptions
{
    public Option<int?> TopK { get; } = new("--top-k") { Description = "How many labels (best first); the default 1 prints one object, more print a list." };

    public Option<bool> All { get; } = new("--all") { Description = "Every label, best first." };

    public Option<string?> Function { get; } = new("--function") { Description = "softmax, sigmoid or none; default as HuggingFace (by problem_type and num_labels)." };

    public IReadOnlyList<Option> Options => [TopK, All, Function];

    public void AddTo(Command command)
    {
        Function.AcceptOnlyFromAmong("softmax", "sigmoid", "none");
        foreach (Option option in Options)
        {
            command.Options.Add(option);
        }
    }

    public ClassifyLinesSettings Read(ParseResult parse)
    {
        if (parse.GetValue(All) && parse.GetValue(TopK) is not null)
        {
            throw new UsageException("give --top-k or --all, not both.");
        }

        return new ClassifyLinesSettings
        {
            TopK = parse.GetValue(All) ? null : parse.GetValue(TopK) ?? 1,
            Function = parse.GetValue(Function) switch
            {
                "softmax" => ClassificationFunction.Softmax,
                "sigmoid" => ClassificationFunction.Sigmoid,
                "none" => ClassificationFunction.None,
                _ => null,
            },
        };
    }
}
