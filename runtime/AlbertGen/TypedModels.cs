using AlbertGen.Configuration;

namespace AlbertGen;

/// <summary>
/// Checks used by the typed models the AlbertGen generator writes: a model compiled for one configuration must not
/// silently load a checkpoint made for another.
/// </summary>
public static class TypedModels
{
    /// <summary>
    /// Checks that the <c>config.json</c> beside a checkpoint, if there is one, describes the configuration a typed
    /// model was compiled for: every dimension, the activation and the position embedding type (and the label count
    /// for classification heads) must agree.
    /// </summary>
    /// <param name="checkpoint">The checkpoint directory, or a checkpoint file (its folder's <c>config.json</c> is checked).</param>
    /// <param name="compiledFor">The configuration the model was compiled for.</param>
    /// <param name="modelName">The typed model's name, for the message.</param>
    /// <param name="compareLabels">Whether <c>num_labels</c> matters (classification heads).</param>
    /// <exception cref="InvalidDataException">The file describes another configuration; the message lists every difference.</exception>
    /// <exception cref="AlbertConfigException">The file is not a valid ALBERT config.</exception>
    public static void CheckCheckpointConfig(string checkpoint, AlbertConfig compiledFor, string modelName, bool compareLabels)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(compiledFor);
        ArgumentNullException.ThrowIfNull(modelName);
        string folder = File.Exists(checkpoint) ? Path.GetDirectoryName(Path.GetFullPath(checkpoint))! : checkpoint;
        string file = Path.Combine(folder, "config.json");
        if (!File.Exists(file))
        {
            return;
        }

        IReadOnlyList<string> differences = Differences(compiledFor, AlbertConfigReader.ReadFile(file), compareLabels);
        if (differences.Count > 0)
        {
            throw new InvalidDataException(
                $"{file} does not describe the configuration {modelName} was compiled for: {string.Join("; ", differences)}. "
                + $"Load a checkpoint of {modelName}'s configuration, or compile a model for this config.json.");
        }
    }

    /// <summary>
    /// The fields on which <paramref name="found"/> differs from <paramref name="compiledFor"/>, each as
    /// "<c>hidden_size</c> is 1024, but the model was compiled for 768".
    /// </summary>
    /// <param name="compiledFor">The configuration a model was compiled for.</param>
    /// <param name="found">The configuration of a checkpoint.</param>
    /// <param name="compareLabels">Whether to compare <c>num_labels</c>.</param>
    /// <returns>The differences, in config order; empty when the checkpoint fits.</returns>
    public static IReadOnlyList<string> Differences(AlbertConfig compiledFor, AlbertConfig found, bool compareLabels)
    {
        ArgumentNullException.ThrowIfNull(compiledFor);
        ArgumentNullException.ThrowIfNull(found);
        var differences = new List<string>();
        foreach (ConfigField field in AlbertConfigSchema.Fields)
        {
            bool compared = field.Is(ConfigFieldRoles.Shape) || (compareLabels && field.Is(ConfigFieldRoles.LabelShape));
            if (compared && !field.ValueEquals(compiledFor, found))
            {
                differences.Add($"{field.JsonName} is {field.Display(found)}, but the model was compiled for {field.Display(compiledFor)}");
            }
        }

        return differences;
    }

    /// <summary>
    /// Loads the ALBERT tokenizer of a typed model: a tokenizer file (<c>spiece.model</c> or <c>tokenizer.json</c>), or a
    /// directory (as <see cref="Tokenization.AlbertTokenizer.FromDirectory"/>: fast when it has <c>tokenizer.json</c>),
    /// with the model's <c>max_position_embeddings</c> as the default maximum length.
    /// </summary>
    /// <param name="path">The tokenizer file, or the directory that holds it.</param>
    /// <param name="compiledFor">The configuration the model was compiled for.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="FileNotFoundException">There is no such file (or no tokenizer file in the directory).</exception>
    /// <exception cref="InvalidDataException">The file is not a usable tokenizer.</exception>
    public static Tokenization.AlbertTokenizer LoadTokenizer(string path, AlbertConfig compiledFor)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(compiledFor);
        return Directory.Exists(path)
            ? Tokenization.AlbertTokenizer.FromDirectory(path, maxLength: compiledFor.MaxPositionEmbeddings)
            : Tokenization.AlbertTokenizer.FromFile(path, Tokenization.AlbertTokenizerOptions.ForConfig(compiledFor));
    }
}
