using TorchSharp;
using AlbertGen.Tokenization;

namespace AlbertGen.Tasks;

/// <summary>Loading the pieces a pipeline needs from a HuggingFace-layout directory.</summary>
internal static class PipelineResources
{
    /// <summary>
    /// Loads the directory's tokenizer as <see cref="AlbertTokenizer.FromDirectory"/> does (<c>tokenizer.json</c> or
    /// <c>spiece.model</c>, with <c>tokenizer_config.json</c>), with the config's maximum length.
    /// </summary>
    /// <exception cref="FileNotFoundException">The directory has no tokenizer file the chosen kind can read.</exception>
    public static AlbertTokenizer LoadTokenizer(string directory, AlbertConfig config, TokenizerKind kind = TokenizerKind.Auto)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(config);
        return AlbertTokenizer.FromDirectory(directory, kind, config.MaxPositionEmbeddings);
    }

    /// <summary>Reads the config and the tokenizer (so a missing tokenizer fails before the weights are read), then the model.</summary>
    /// <remarks>The model is moved to <see cref="PipelineOptions.Device"/> when one is given.</remarks>
    public static (TModel Model, AlbertTokenizer Tokenizer) Load<TModel>(string directory, PipelineOptions? options, Func<string, TModel> load)
        where TModel : TorchSharp.torch.nn.Module
    {
        ArgumentNullException.ThrowIfNull(directory);
        AlbertConfig config = AlbertConfigReader.ReadFile(directory);
        AlbertTokenizer tokenizer = LoadTokenizer(directory, config, options?.Tokenizer ?? TokenizerKind.Auto);
        TModel model = load(directory);
        if (options?.Device is { } device)
        {
            model.to(device);
        }

        return (model, tokenizer);
    }
}
