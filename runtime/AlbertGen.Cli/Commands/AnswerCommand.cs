using System.CommandLine;
using System.Globalization;
using AlbertGen.Tasks;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen answer</c>: the span of a context that answers a question.</summary>
internal static class AnswerCommand
{
    public static Command Create(CliContext context)
    {
        var io = new TaskCommandSupport();
        var question = new Option<string?>("--question") { Description = "The question." };
        var contextText = new Option<string?>("--context") { Description = "The text holding the answer." };
        var contextFile = new Option<string?>("--context-file") { Description = "Read the context from this file (UTF-8)." };
        var topK = new Option<int>("--top-k") { Description = "How many answers; more than 1 prints a list.", DefaultValueFactory = _ => 1 };
        var docStride = new Option<int?>("--doc-stride") { Description = "Tokens shared by consecutive windows of a long context (default min(max-seq-len/2, 128))." };
        var maxAnswer = new Option<int>("--max-answer-len") { Description = "Longest answer in tokens.", DefaultValueFactory = _ => 15 };
        var maxSeq = new Option<int?>("--max-seq-len") { Description = "Tokens per window (default min(384, the model's maximum))." };
        var maxQuestion = new Option<int>("--max-question-len") { Description = "The question is cut to this many tokens.", DefaultValueFactory = _ => 64 };
        var impossible = new Option<bool>("--handle-impossible-answer") { Description = "Allow the empty answer (scored by [CLS])." };
        var command = new Command("answer", "Extract the answer to a question from a context (HuggingFace question-answering).")
        {
            question, contextText, contextFile, topK, docStride, maxAnswer, maxSeq, maxQuestion, impossible,
        };
        io.AddTo(command, textArgument: false);
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new QuestionAnsweringOptions
            {
                TopK = parse.GetValue(topK),
                DocStride = parse.GetValue(docStride),
                MaxAnswerLength = parse.GetValue(maxAnswer),
                MaxSeqLength = parse.GetValue(maxSeq),
                MaxQuestionLength = parse.GetValue(maxQuestion),
                HandleImpossibleAnswer = parse.GetValue(impossible),
            };
            bool list = options.TopK != 1;
            string? jsonl = parse.GetValue(io.InputJsonl);
            (string Question, string Context)? single = null;
            if (jsonl is null)
            {
                string q = parse.GetValue(question) ?? throw new ArgumentException("--question is required (or --input-jsonl).");
                string? inline = parse.GetValue(contextText);
                string? file = parse.GetValue(contextFile);
                if ((inline is null) == (file is null))
                {
                    throw new ArgumentException("give exactly one of --context and --context-file.");
                }

                single = (q, inline ?? File.ReadAllText(file!));
            }
            else if (parse.GetValue(question) is not null || parse.GetValue(contextText) is not null || parse.GetValue(contextFile) is not null)
            {
                throw new ArgumentException("with --input-jsonl, give \"question\" and \"context\" on each line instead of options.");
            }

            using QuestionAnsweringPipeline pipeline = QuestionAnsweringPipeline.FromPretrained(io.Model.Resolve(parse), io.PipelineOptions(parse));
            TaskCommandSupport.Warn(pipeline.Session.Warnings, context.Error);
            if (jsonl is not null)
            {
                var inputs = TaskCommandSupport.ReadJsonl(jsonl).Select(item => (item, (item.Required("question"), item.Required("context")))).ToList();
                TaskCommandSupport.RunLines(inputs, 1,
                    batch => [.. pipeline.AnswerBatch(batch, options, cancellationToken).Select(r => Json(r, list))], context.Output, cancellationToken);
                return Task.CompletedTask;
            }

            QuestionAnsweringResult result = pipeline.Answer(single!.Value.Question, single.Value.Context, options, cancellationToken);
            context.Output.WriteLine(parse.GetValue(io.Json)
                ? TaskCommandSupport.ToJson(Json(result, list))
                : string.Join(Environment.NewLine, result.Answers.Select(a =>
                    string.Create(CultureInfo.InvariantCulture, $"{a.Score:0.0000}  [{a.Start},{a.End})  {(a.Answer.Length == 0 ? "(no answer)" : a.Answer)}"))));
            return Task.CompletedTask;
        });
        return command;
    }

    /// <summary>HuggingFace's shape: one object for one answer, a list for several.</summary>
    private static object? Json(QuestionAnsweringResult result, bool list)
    {
        var answers = result.Answers.Select(a => new { score = a.Score, start = a.Start, end = a.End, answer = a.Answer }).ToList();
        return list || answers.Count != 1 ? answers : answers[0];
    }
}
