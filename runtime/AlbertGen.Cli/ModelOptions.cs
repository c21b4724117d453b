using System.CommandLine;
using AlbertGen.Hub;
using AlbertGen.Tokenization;

namespace AlbertGen.Cli;

/// <summary>
/// The <c>--model</c>, <c>--revision</c> and <c>--cache-dir</c> options every model command shares, and how they
/// become a folder: a directory as it is, a hub id through the HuggingFace cache, nothing at all as the default model;
/// and, for the commands that tokenise, <c>--tokenizer slow|fast</c>.
/// </summary>
internal sealed class ModelOptions
{
    public Option<string?> Model { get; } = new("--model")
    {
        Description = "Model directory or HuggingFace hub id (found in the HuggingFace cache). Omitted: the built-in default model.",
    };

    public Option<string> Revision { get; } = new("--revision")
    {
        Description = "Hub revision (branch, tag or commit) of a hub id.",
        DefaultValueFactory = _ => HubRevision.Main,
    };

    public Option<string?> CacheDir { get; } = new("--cache-dir")
    {
        Description = "HuggingFace cache folder (default: $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub).",
    };

    public Option<string?> Tokenizer { get; } = new Option<string?>("--tokenizer")
    {
        Description = "slow (AlbertTokenizer, spiece.model) or fast (AlbertTokenizerFast: tokenizer.json, or spiece.model converted). "
            + "Omitted: fast when the model has tokenizer.json, else slow, as HuggingFace's AutoTokenizer.",
    }.AcceptOnlyFromAmong("slow", "fast");

    /// <summary>
    /// Adds the options; <paramref name="tokenizer"/> adds <c>--tokenizer</c> too (for commands that tokenise); without
    /// <paramref name="model"/>, the command declares its own <c>--model</c> (serve's is repeatable).
    /// </summary>
    public void AddTo(Command command, bool tokenizer = false, bool model = true)
    {
        if (model)
        {
            command.Options.Add(Model);
        }

        command.Options.Add(Revision);
        command.Options.Add(CacheDir);
        if (tokenizer)
        {
            command.Options.Add(Tokenizer);
        }
    }

    /// <summary>The tokenizer <c>--tokenizer</c> asks for (<see cref="TokenizerKind.Auto"/> when omitted).</summary>
    public TokenizerKind TokenizerKind(ParseResult parse) => parse.GetValue(Tokenizer) switch
    {
        "slow" => Tokenization.TokenizerKind.Slow,
        "fast" => Tokenization.TokenizerKind.Fast,
        _ => Tokenization.TokenizerKind.Auto,
    };

    /// <summary>The folder holding the model's files.</summary>
    public string Resolve(ParseResult parse) => Resolve(parse.GetValue(Model), parse);

    /// <summary>The folder holding the files of <paramref name="model"/> (a directory or hub id; null = the default model).</summary>
    public string Resolve(string? model, ParseResult parse)
    {
        if (string.IsNullOrEmpty(model))
        {
            return DefaultModel.Directory;
        }

        return ModelLocator.Locate(model, parse.GetValue(Revision) ?? HubRevision.Main, parse.GetValue(CacheDir)).Directory;
    }
}

/// <summary>The model commands use when <c>--model</c> is omitted: the one shipped beside the command line.</summary>
internal static class DefaultModel
{
    /// <summary>Name of the folder beside the executable that holds the default model.</summary>
    public const string FolderName = "default-model";

    /// <summary>The default model's folder, or null when this build carries none.</summary>
    public static string? DirectoryIfShipped
    {
        get
        {
            string folder = Path.Combine(AppContext.BaseDirectory, FolderName);
            return File.Exists(Path.Combine(folder, "config.json")) && File.Exists(Path.Combine(folder, "model.safetensors")) ? folder : null;
        }
    }

    /// <summary>The default model's folder.</summary>
    /// <exception cref="FileNotFoundException">This build carries no default model.</exception>
    public static string Directory
    {
        get
        {
            string folder = Path.Combine(AppContext.BaseDirectory, FolderName);
            return DirectoryIfShipped ?? throw new FileNotFoundException(
                $"no --model was given and this build has no default model ({folder} is missing); pass --model <directory or hub id>.", folder);
        }
    }
}
