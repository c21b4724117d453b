using System.CommandLine;

namespace AlbertGen.Cli.Commands;

/// <summary><c>albertgen decode</c>: ids back to text, as HuggingFace's <c>decode</c>.</summary>
internal static class DecodeCommand
{
    public static Command Create(CliContext context)
    {
        var model = new ModelOptions();
        var ids = new Argument<int[]>("ids") { Description = "Token ids.", Arity = ArgumentArity.OneOrMore };
        var skip = new Option<bool>("--skip-special-tokens") { Description = "Drop <pad> <unk> [CLS] [SEP] [MASK]." };
        var command = new Command("decode", "Turn token ids back into text with the model's tokenizer.") { ids, skip };
        model.AddTo(command, tokenizer: true);
        command.SetAction(parse =>
        {
            var tokenizer = AlbertGen.Tokenization.AlbertTokenizer.FromDirectory(model.Resolve(parse), model.TokenizerKind(parse));
            context.Output.WriteLine(tokenizer.Decode(parse.GetValue(ids)!, parse.GetValue(skip)));
        });
        return command;
    }
}
