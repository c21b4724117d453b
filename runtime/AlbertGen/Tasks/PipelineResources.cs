using AlbertGen.Tokenization;

namespace AlbertGen.Tasks;

/// <summary>Loading the pieces a pipeline needs from a HuggingFace-layout directory.</summary>
internal static class PipelineResources
{
    /// <summary>The tokenizer file a model directory must hold.</summary>
    public const string TokenizerFileName = "spiece.model";

    /// <summary>Loads <c>spiece.model</c> from <paramref name="directory"/>, with the config's maximum length.</summary>
    /// <exception cref="FileNotFoundException">The directory has no <c>spiece.model</c>.</exception>
    public static AlbertTokenizer LoadTokenizer(string directory, AlbertConfig config)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string path = Path.Combine(directory, TokenizerFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"{directory} has no {TokenizerFileName}: a task pipeline needs the model's SentencePiece tokenizer beside config.json and the weights.",
                path);
        }

        return AlbertTokenizer.FromFile(path, AlbertTokenizerOptions.ForConfig(config));
    }

    /// <summary>Reads the config and the tokenizer (so a missing tokenizer fails before the weights are read), then the model.</summary>
    public static (TModel Model, AlbertTokenizer Tokenizer) Load<TModel>(string directory, Func<string, TModel> load)
    {
        ArgumentNullException.ThrowIfNull(directory);
        AlbertConfig config = AlbertConfigReader.ReadFile(directory);
        AlbertTokenizer tokenizer = LoadTokenizer(directory, config);
        return (load(directory), tokenizer);
    }
}
