using System.CommandLine;
using System.Globalization;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen choose</c>: a score per choice for a prompt.</summary>
internal static class ChooseCommand
{
    public static Command Create(CliContext context)
    {
        var io = new TaskCommandSupport();
        io.Text.Description = "The prompt (question or context) the choices complete.";
        var choices = new Option<string[]>("--choice") { Description = "A choice (repeat for each)." };
        var command = new Command("choose", "Score choices for a prompt (AlbertForMultipleChoice; softmax over the choices).") { choices };
        io.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            string? jsonl = io.JsonlPath(parse);
            string? prompt = jsonl is null ? io.RequireText(parse, "prompt") : null;
            string[] given = parse.GetValue(choices) ?? [];
            if (jsonl is null && given.Length == 0)
            {
                throw new ArgumentException("give at least one --choice.");
            }

            if (jsonl is not null && given.Length > 0)
            {
                throw new ArgumentException("with --input-jsonl, give \"choices\" on each line instead of --choice.");
            }

            using MultipleChoicePipeline pipeline = MultipleChoicePipeline.FromPretrained(io.Model.Resolve(parse), io.PipelineOptions(parse));
            TaskCommandSupport.Warn(pipeline.Session.Warnings, context.Error);
            if (jsonl is not null)
            {
                var inputs = TaskCommandSupport.ReadJsonl(jsonl)
                    .Select(item => (item, (item.Required("prompt"), (IReadOnlyList<string>)item.RequiredStrings("choices")))).ToList();
                TaskCommandSupport.RunLines(inputs, 1,
                    batch => [.. pipeline.ChooseBatch(batch, cancellationToken).Select(Json)], context.Output, cancellationToken);
                return Task.CompletedTask;
            }

            IReadOnlyList<ChoiceScore> scores = pipeline.Choose(prompt!, given, cancellationToken);
            int best = scores.MaxBy(s => s.Score)!.Index;
            context.Output.WriteLine(parse.GetValue(io.Json)
                ? TaskCommandSupport.ToJson(Json(scores))
                : string.Join(Environment.NewLine, scores.Select(s =>
                    string.Create(CultureInfo.InvariantCulture, $"{(s.Index == best ? "*" : " ")} {s.Score:0.0000}  {s.Choice}"))));
            return Task.CompletedTask;
        });
        return command;
    }

    private static object Json(IReadOnlyList<ChoiceScore> scores) =>
        scores.Select(s => new { index = s.Index, choice = s.Choice, score = s.Score }).ToList();
}
