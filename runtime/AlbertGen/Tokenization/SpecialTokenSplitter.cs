namespace AlbertGen.Tokenization;

/// <summary>A special token the splitter recognises in text.</summary>
/// <param name="Text">Its text, e.g. <c>[MASK]</c>.</param>
/// <param name="Id">Its vocabulary id.</param>
/// <param name="StripLeft">Whether whitespace before it is removed (HF <c>AddedToken.lstrip</c>).</param>
/// <param name="StripRight">Whether whitespace after it is removed (HF <c>AddedToken.rstrip</c>).</param>
internal sealed record SpecialToken(string Text, int Id, bool StripLeft, bool StripRight);

/// <summary>One piece of a text split on special tokens: a plain span, or a special token found in the text.</summary>
internal readonly record struct TextSegment(int Start, int End, SpecialToken? Special);

/// <summary>
/// Splits text on the special tokens written in it, as HuggingFace's slow tokenizers do before the model
/// sees the text (<c>tokens_trie.split</c> and the neighbour stripping that follows it).
/// </summary>
/// <remarks>
/// With <c>do_lower_case</c>, HuggingFace lower-cases the text (except verbatim special tokens) <em>before</em>
/// splitting, so a lower-case special such as <c>&lt;unk&gt;</c> is also found when written <c>&lt;UNK&gt;</c>;
/// specials with capitals (<c>[CLS]</c>) only match verbatim.
/// </remarks>
internal sealed class SpecialTokenSplitter
{
    private readonly SpecialToken[] _specials;
    private readonly bool _lowerCase;
    private readonly string _firstChars;

    public SpecialTokenSplitter(IEnumerable<SpecialToken> specials, bool lowerCase)
    {
        _specials = specials.OrderByDescending(s => s.Text.Length).ToArray();
        _lowerCase = lowerCase;
        _firstChars = new string(_specials
            .SelectMany(s => _lowerCase && IsLowerCase(s.Text) ? new[] { s.Text[0], char.ToUpperInvariant(s.Text[0]) } : [s.Text[0]])
            .Distinct().ToArray());
    }

    /// <summary>Splits <paramref name="text"/>; plain segments may be empty or whitespace only.</summary>
    public void Split(string text, List<TextSegment> output)
    {
        output.Clear();
        int plainStart = 0;
        int i = _firstChars.Length == 0 ? -1 : text.AsSpan().IndexOfAny(_firstChars);
        while (i >= 0 && i < text.Length)
        {
            SpecialToken? found = Match(text, i);
            if (found is null)
            {
                int next = text.AsSpan(i + 1).IndexOfAny(_firstChars);
                i = next < 0 ? -1 : i + 1 + next;
                continue;
            }

            output.Add(new TextSegment(plainStart, i, null));
            output.Add(new TextSegment(i, i + found.Text.Length, found));
            i += found.Text.Length;
            plainStart = i;
            int next2 = text.AsSpan(i).IndexOfAny(_firstChars);
            i = next2 < 0 ? -1 : i + next2;
        }

        output.Add(new TextSegment(plainStart, text.Length, null));
        if (output.Count > 1)
        {
            StripNeighbours(text, output);
        }
    }

    private SpecialToken? Match(string text, int at)
    {
        foreach (SpecialToken special in _specials)
        {
            if (text.AsSpan(at).StartsWith(special.Text, StringComparison.Ordinal))
            {
                return special;
            }

            if (_lowerCase && IsLowerCase(special.Text) && LowersTo(text, at, special.Text))
            {
                return special;
            }
        }

        return null;
    }

    /// <summary>Whether <c>text[at..]</c> lower-cases, one char at a time, to a string starting with <paramref name="target"/>.</summary>
    private static bool LowersTo(string text, int at, string target)
    {
        if (text.Length - at < target.Length)
        {
            return false;
        }

        for (int k = 0; k < target.Length; k++)
        {
            char c = text[at + k];
            // U+0130 lowers to two chars and never to ASCII alone; surrogates never lower to a BMP char.
            if (c == '\u0130' || char.IsSurrogate(c) || char.ToLowerInvariant(c) != target[k])
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLowerCase(string text) => text == text.ToLowerInvariant();

    /// <summary>
    /// HuggingFace strips the neighbours of a special token: an <c>AddedToken</c> strips the side its
    /// <c>lstrip</c>/<c>rstrip</c> say; a special token given as a plain string strips both sides.
    /// </summary>
    private static void StripNeighbours(string text, List<TextSegment> segments)
    {
        for (int k = 0; k < segments.Count; k++)
        {
            SpecialToken? special = segments[k].Special;
            if (special is null)
            {
                continue;
            }

            if (special.StripLeft && k > 0 && segments[k - 1].Special is null)
            {
                TextSegment left = segments[k - 1];
                int end = left.End;
                while (end > left.Start && PythonText.IsSpace(text[end - 1]))
                {
                    end--;
                }

                segments[k - 1] = left with { End = end };
            }

            if (special.StripRight && k + 1 < segments.Count && segments[k + 1].Special is null)
            {
                TextSegment right = segments[k + 1];
                int start = right.Start;
                while (start < right.End && PythonText.IsSpace(text[start]))
                {
                    start++;
                }

                segments[k + 1] = right with { Start = start };
            }
        }
    }
}
