using System.CommandLine;
using AlbertGen.Tokenization;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen tokenize</c>: the tokenizer's full encoding of a text or pair, as one JSON object.</summary>
internal static class TokenizeCommand
{
    public static Command Create(CliContext context)
    {
        var io = new TaskCommandSupport();
        var pair = new Option<string?>("--pair") { Description = "Second text of a pair." };
        var maxLength = new Option<int?>("--max-length") { Description = "Truncate to this many tokens, special tokens included (longest sequence first)." };
        var command = new Command("tokenize", "Encode a text (or pair) with the model's tokenizer and print one JSON object.") { pair, maxLength };
        command.Arguments.Add(io.Text);
        command.Options.Add(io.InputJsonl);
        io.Model.AddTo(command, tokenizer: true);
        command.SetAction((parse, cancellationToken) =>
        {
            string? jsonl = io.JsonlPath(parse);
            string? text = jsonl is null ? io.RequireText(parse) : null;
            AlbertTokenizer tokenizer = AlbertTokenizer.FromDirectory(io.Model.Resolve(parse), io.Model.TokenizerKind(parse));
            int? max = parse.GetValue(maxLength);
            if (max is < 1)
            {
                throw new UsageException($"--max-length must be at least 1, not {max}.");
            }

            var options = new AlbertEncodeOptions { Truncation = max is null ? TruncationStrategy.None : TruncationStrategy.LongestFirst, MaxLength = max };
            if (jsonl is not null)
            {
                if (parse.GetValue(pair) is not null)
                {
                    throw new UsageException("with --input-jsonl, give pairs as \"text_pair\" on each line instead of --pair.");
                }

                var inputs = TaskCommandSupport.ReadJsonl(jsonl).Select(item => (item, (item.Required("text"), item.Optional("text_pair")))).ToList();
                TaskCommandSupport.RunLines(inputs, 64, _ => null,
                    batch => [.. tokenizer.EncodeBatch(batch, options).Select(Json)], context.Output, cancellationToken);
                return Task.CompletedTask;
            }

            context.Output.WriteLine(TaskCommandSupport.ToJson(Json(tokenizer.Encode(text!, parse.GetValue(pair), options))));
            return Task.CompletedTask;
        });
        return command;
    }

    private static object Json(AlbertEncoding e) => new
    {
        tokens = e.Tokens,
        input_ids = e.InputIds,
        token_type_ids = e.TokenTypeIds,
        special_tokens_mask = e.SpecialTokensMask,
        attention_mask = e.AttentionMask,
        offsets = e.Offsets.Select(o => new[] { o.Start, o.End }),
    };
}
