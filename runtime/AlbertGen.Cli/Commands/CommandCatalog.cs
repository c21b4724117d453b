using System.CommandLine;

namespace AlbertGen.Cli.Commands;

/// <summary>Every command of <c>albertgen</c>, in the order <c>--help</c> lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create(CliContext context) =>
    [
        InfoCommand.Create(context),
        DownloadCommand.Create(context),
        ConvertCommand.Create(context),
        ForwardCommand.Create(context),
        FineTuneCommand.Create(context),
        PretrainCommand.Create(context),
        FillMaskCommand.Create(context),
        ClassifyCommand.Create(context),
        TagCommand.Create(context),
        AnswerCommand.Create(context),
        ChooseCommand.Create(context),
        EmbedCommand.Create(context),
        TokenizeCommand.Create(context),
        DecodeCommand.Create(context),
        Cluster.ClusterCommand.Create(context),
        ServeCommand.Create(context),
    ];
}
