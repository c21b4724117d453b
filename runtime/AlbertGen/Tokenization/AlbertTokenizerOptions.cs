namespace AlbertGen.Tokenization;

/// <summary>Settings of an <see cref="AlbertTokenizer"/>, named after HuggingFace <c>AlbertTokenizer</c>'s arguments.</summary>
public sealed record AlbertTokenizerOptions
{
    /// <summary>Lower-case the text before tokenising (<c>do_lower_case</c>). Default true.</summary>
    public bool DoLowerCase { get; init; } = true;

    /// <summary>Strip the text and collapse whitespace runs to one space (<c>remove_space</c>). Default true.</summary>
    public bool RemoveSpace { get; init; } = true;

    /// <summary>Keep accents; when false, text is NFKD-decomposed and combining marks dropped (<c>keep_accents</c>). Default false.</summary>
    public bool KeepAccents { get; init; }

    /// <summary>
    /// Longest sequence the model takes, special tokens included (<c>model_max_length</c>): the default
    /// length for truncation and for <see cref="PaddingStrategy.MaxLength"/>. Null means 512, the
    /// <c>max_position_embeddings</c> of every published ALBERT; use <see cref="ForConfig"/> to take it from a config.
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>Default options with <see cref="MaxLength"/> = the config's <c>max_position_embeddings</c>.</summary>
    /// <param name="config">The model's configuration.</param>
    public static AlbertTokenizerOptions ForConfig(AlbertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new AlbertTokenizerOptions { MaxLength = config.MaxPositionEmbeddings };
    }
}
