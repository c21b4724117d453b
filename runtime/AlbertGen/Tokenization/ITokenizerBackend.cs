namespace AlbertGen.Tokenization;

/// <summary>
/// One of HuggingFace's two ALBERT tokenizers behind <see cref="AlbertTokenizer"/>: what differs between the slow
/// (<see cref="SentencePieceBackend"/>) and the fast (<see cref="TokenizerJsonBackend"/>) one. Everything both share
/// (templates, truncation, padding, batches, clean-up) stays in the façade. Implementations are immutable and thread-safe.
/// </summary>
internal interface ITokenizerBackend
{
    /// <summary>Which of HuggingFace's tokenizers this is (never <see cref="TokenizerKind.Auto"/>).</summary>
    TokenizerKind Kind { get; }

    /// <summary>Number of ids (the model's <c>vocab_size</c>).</summary>
    int VocabularySize { get; }

    /// <summary>The ids of the special tokens.</summary>
    SpecialTokenIds Ids { get; }

    /// <summary>The ids <c>skip_special_tokens</c> drops.</summary>
    IReadOnlySet<int> SpecialIds { get; }

    /// <summary>The post-processor template (<c>[CLS] A [SEP] B [SEP]</c> for ALBERT).</summary>
    PostProcessorTemplate Template { get; }

    /// <summary>Whether pairs are truncated as the fast tokenizer does (its <c>longest_first</c> differs from the slow one's).</summary>
    bool FastLongestFirst { get; }

    /// <summary>HuggingFace's default of <c>clean_up_tokenization_spaces</c> for this kind.</summary>
    bool CleansUpByDefault { get; }

    /// <summary>The file the tokenizer was loaded from, as written back by <see cref="AlbertTokenizer.SaveVocabulary"/>.</summary>
    (byte[] Bytes, string FileName) SavedFile { get; }

    /// <summary>Tokenises one text (special tokens written in it included) into <paramref name="output"/>, cleared first.</summary>
    void Tokenize(string text, TokenSequence output);

    /// <summary>The id of a token string; the unknown id when it is not in the vocabulary.</summary>
    int TokenToId(string token);

    /// <summary>The token string of an id, or null outside the vocabulary.</summary>
    string? IdToToken(int id);

    /// <summary>Joins tokens into text (HF <c>convert_tokens_to_string</c>), before any clean-up.</summary>
    string TokensToString(IEnumerable<string> tokens);
}
