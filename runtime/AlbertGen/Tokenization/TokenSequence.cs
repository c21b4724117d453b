namespace AlbertGen.Tokenization;

/// <summary>
/// The tokens of one text, before special tokens, truncation and padding. An ids-only sequence skips the
/// token strings and offsets (the fast path of <see cref="AlbertTokenizer.EncodeToIds"/>).
/// </summary>
internal sealed class TokenSequence
{
    public TokenSequence(bool idsOnly, int capacity = 16)
    {
        IdsOnly = idsOnly;
        Ids = new List<int>(capacity);
        Tokens = new List<string>(idsOnly ? 0 : capacity);
        Offsets = new List<(int Start, int End)>(idsOnly ? 0 : capacity);
    }

    public bool IdsOnly { get; }

    public List<int> Ids { get; }

    public List<string> Tokens { get; }

    public List<(int Start, int End)> Offsets { get; }

    public int Count => Ids.Count;

    public void Add(int id, string token, int start, int end)
    {
        Ids.Add(id);
        if (!IdsOnly)
        {
            Tokens.Add(token);
            Offsets.Add((start, end));
        }
    }

    public void Clear()
    {
        Ids.Clear();
        Tokens.Clear();
        Offsets.Clear();
    }
}
