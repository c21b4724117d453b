using AlbertGen.Tokenization.Fast;

namespace AlbertGen.Tokenization;

/// <summary>
/// The fast tokenizer (HF <c>AlbertTokenizerFast</c>): the <c>tokenizers</c> pipeline of a <c>tokenizer.json</c>, or of a
/// <c>spiece.model</c> converted as HF's <c>AlbertConverter</c> does.
/// </summary>
internal sealed class TokenizerJsonBackend : ITokenizerBackend
{
    private readonly FastTokenizerPipeline _pipeline;
    private readonly HashSet<int> _specialIds;

    /// <summary>The backend of <paramref name="pipeline"/>; <paramref name="savedBytes"/> are written back as <paramref name="savedFileName"/>.</summary>
    /// <exception cref="InvalidDataException">The pipeline has no id for one of <paramref name="options"/>' special tokens.</exception>
    public TokenizerJsonBackend(FastTokenizerPipeline pipeline, AlbertTokenizerOptions options, byte[] savedBytes, string savedFileName, string source)
    {
        _pipeline = pipeline;
        SavedFile = (savedBytes, savedFileName);
        int Id(string token, string name) => pipeline.TokenToId(token)
            ?? throw new InvalidDataException($"'{source}' has no id for the {name} '{token}'.");
        Ids = new SpecialTokenIds(
            Id(options.PadToken, "pad_token"), pipeline.Model.UnknownId, Id(options.ClsToken, "cls_token"),
            Id(options.SepToken, "sep_token"), Id(options.MaskToken, "mask_token"));
        _specialIds = [.. pipeline.AddedTokens.Where(t => t.Special).Select(t => t.Id)];
    }

    public TokenizerKind Kind => TokenizerKind.Fast;

    public int VocabularySize => _pipeline.VocabularySize;

    public SpecialTokenIds Ids { get; }

    public IReadOnlySet<int> SpecialIds => _specialIds;

    public PostProcessorTemplate Template => _pipeline.Template;

    public bool FastLongestFirst => true;

    public bool CleansUpByDefault => false;

    public (byte[] Bytes, string FileName) SavedFile { get; }

    public void Tokenize(string text, TokenSequence output) => _pipeline.Tokenize(text, output);

    public int TokenToId(string token) => _pipeline.TokenToId(token) ?? Ids.Unknown;

    public string? IdToToken(int id) => _pipeline.IdToToken(id);

    public string TokensToString(IEnumerable<string> tokens) => _pipeline.Decode(tokens);
}
