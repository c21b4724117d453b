namespace AlbertGen.Tokenization;

/// <summary>Settings of an <see cref="AlbertTokenizer"/>, named after HuggingFace <c>AlbertTokenizer</c>'s arguments.</summary>
public sealed record AlbertTokenizerOptions
{
    /// <summary>
    /// Which tokenizer to reproduce. <see cref="TokenizerKind.Auto"/> (default): fast for a <c>tokenizer.json</c>, slow for
    /// a <c>spiece.model</c>. <see cref="TokenizerKind.Fast"/> on a <c>spiece.model</c> converts it in memory as HuggingFace's
    /// <c>AlbertConverter</c> does (using <see cref="DoLowerCase"/> and <see cref="KeepAccents"/>);
    /// <see cref="TokenizerKind.Slow"/> needs a <c>spiece.model</c>.
    /// </summary>
    public TokenizerKind Kind { get; init; }

    /// <summary>Lower-case the text before tokenising (<c>do_lower_case</c>). Default true. A <c>tokenizer.json</c> has its own normaliser instead.</summary>
    public bool DoLowerCase { get; init; } = true;

    /// <summary>Strip the text and collapse whitespace runs to one space (<c>remove_space</c>; slow tokenizer only, as in HuggingFace). Default true.</summary>
    public bool RemoveSpace { get; init; } = true;

    /// <summary>Keep accents; when false, text is NFKD-decomposed and combining marks dropped (<c>keep_accents</c>). Default false.</summary>
    public bool KeepAccents { get; init; }

    /// <summary>
    /// Longest sequence the model takes, special tokens included (<c>model_max_length</c>): the default
    /// length for truncation and for <see cref="PaddingStrategy.MaxLength"/>. Null means 512, the
    /// <c>max_position_embeddings</c> of every published ALBERT; use <see cref="ForConfig"/> to take it from a config.
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>
    /// Whether <see cref="AlbertTokenizer.Decode"/> removes the spaces HuggingFace's <c>clean_up_tokenization</c> removes
    /// (<c>clean_up_tokenization_spaces</c>). Null (default): true for the slow tokenizer, false for the fast one, as
    /// HuggingFace's <c>decode</c> of each gives.
    /// </summary>
    public bool? CleanUpTokenizationSpaces { get; init; }

    /// <summary>The classification token (<c>cls_token</c>). Default <c>[CLS]</c>.</summary>
    public string ClsToken { get; init; } = AlbertTokenizer.ClsToken;

    /// <summary>The separator token (<c>sep_token</c>). Default <c>[SEP]</c>.</summary>
    public string SepToken { get; init; } = AlbertTokenizer.SepToken;

    /// <summary>The mask token (<c>mask_token</c>; it takes the whitespace before it). Default <c>[MASK]</c>.</summary>
    public string MaskToken { get; init; } = AlbertTokenizer.MaskToken;

    /// <summary>The padding token (<c>pad_token</c>). Default <c>&lt;pad&gt;</c>.</summary>
    public string PadToken { get; init; } = AlbertTokenizer.PadToken;

    /// <summary>The unknown token (<c>unk_token</c>). Default <c>&lt;unk&gt;</c>.</summary>
    public string UnknownToken { get; init; } = AlbertTokenizer.UnknownToken;

    /// <summary>Default options with <see cref="MaxLength"/> = the config's <c>max_position_embeddings</c>.</summary>
    /// <param name="config">The model's configuration.</param>
    public static AlbertTokenizerOptions ForConfig(AlbertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new AlbertTokenizerOptions { MaxLength = config.MaxPositionEmbeddings };
    }
}
