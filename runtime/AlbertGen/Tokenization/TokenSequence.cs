namespace AlbertGen.Tokenization;

/// <summary>The tokens of one text, before special tokens, truncation and padding.</summary>
internal sealed class TokenSequence
{
    public TokenSequence(int capacity = 16)
    {
        Ids = new List<int>(capacity);
        Tokens = new List<string>(capacity);
        Offsets = new List<(int Start, int End)>(capacity);
    }

    public List<int> Ids { get; }

    public List<string> Tokens { get; }

    public List<(int Start, int End)> Offsets { get; }

    public int Count => Ids.Count;

    public void Add(int id, string token, int start, int end)
    {
        Ids.Add(id);
        Tokens.Add(token);
        Offsets.Add((start, end));
    }
}
