using System.Collections.Concurrent;
using System.Text;

namespace AlbertGen.Tokenization;

/// <summary>
/// HuggingFace <c>AlbertTokenizer</c>'s text preparation before SentencePiece, with offsets: the per-char
/// lower-casing of <c>tokenize()</c>, then <c>preprocess_text</c>: strip and collapse whitespace runs to one
/// space (<c>remove_space</c>), <c>``</c> and <c>''</c> → <c>"</c>, NFKD and dropping of combining marks
/// (unless <c>keep_accents</c>), lower-casing.
/// </summary>
/// <remarks>
/// Each step but the whitespace and quote rules acts on one code point at a time, and neither those rules
/// nor the per-code-point steps create what the others look for in an order that matters, so one pass over
/// the code points computes all of it: a code point's output (cached) lands at the code point's range.
/// Lone surrogates pass through; <see cref="SentencePieceTextNormalizer"/> treats them as SentencePiece treats malformed UTF-8.
/// </remarks>
internal sealed class AlbertPreprocessor
{
    private readonly bool _lowerCase;
    private readonly bool _removeSpace;
    private readonly bool _keepAccents;
    private readonly ConcurrentDictionary<int, string> _transformed = new();

    public AlbertPreprocessor(bool lowerCase, bool removeSpace, bool keepAccents)
    {
        _lowerCase = lowerCase;
        _removeSpace = removeSpace;
        _keepAccents = keepAccents;
    }

    /// <summary>Prepares <c>text[start..end]</c> and appends it to <paramref name="output"/> (ranges index <paramref name="text"/>).</summary>
    public void Process(ReadOnlySpan<char> text, int start, int end, AlignedText output)
    {
        if (_removeSpace)
        {
            while (start < end && PythonText.IsSpace(text[start]))
            {
                start++;
            }

            while (end > start && PythonText.IsSpace(text[end - 1]))
            {
                end--;
            }
        }

        int first = output.Length;
        int spaceStart = -1;
        int i = start;
        while (i < end)
        {
            char c = text[i];
            if (_removeSpace && PythonText.IsSpace(c))
            {
                if (spaceStart < 0)
                {
                    spaceStart = i;
                }

                i++;
                continue;
            }

            if (spaceStart >= 0)
            {
                output.Append(' ', spaceStart, i);
                spaceStart = -1;
            }

            if (c < 128)
            {
                if ((c == '`' || c == '\'') && i + 1 < end && text[i + 1] == c)
                {
                    output.Append('"', i, i + 2);
                    i += 2;
                    continue;
                }

                output.Append(_lowerCase && c is >= 'A' and <= 'Z' ? (char)(c + 32) : c, i, i + 1);
                i++;
                continue;
            }

            int length = 1;
            int codePoint = c;
            if (char.IsHighSurrogate(c) && i + 1 < end && char.IsLowSurrogate(text[i + 1]))
            {
                codePoint = char.ConvertToUtf32(c, text[i + 1]);
                length = 2;
            }
            else if (char.IsSurrogate(c))
            {
                output.Append(c, i, i + 1); // malformed: the normaliser turns it into U+FFFD
                i++;
                continue;
            }

            string transformed = Transform(codePoint);
            if (transformed.Length > 0)
            {
                output.Append(transformed, i, i + length);
            }
            else if (output.Length > first && output[output.Length - 1] != ' ')
            {
                output.ExtendLast(i + length); // A dropped mark belongs to the character before it.
            }

            i += length;
        }
    }

    private string Transform(int codePoint) => _transformed.GetOrAdd(codePoint, static (cp, self) => self.TransformUncached(new Rune(cp)), this);

    private string TransformUncached(Rune rune)
    {
        var text = new StringBuilder();
        if (_lowerCase)
        {
            PythonText.AppendLower(rune, text);
        }
        else
        {
            text.Append(rune.ToString());
        }

        if (_keepAccents)
        {
            return text.ToString();
        }

        string decomposed;
        try
        {
            decomposed = text.ToString().Normalize(NormalizationForm.FormKD);
        }
        catch (ArgumentException)
        {
            decomposed = text.ToString(); // Not normalisable (e.g. a noncharacter): left as it is.
        }

        text.Clear();
        foreach (Rune r in decomposed.EnumerateRunes())
        {
            if (PythonText.IsCombining(r))
            {
                continue;
            }

            if (_lowerCase)
            {
                PythonText.AppendLower(r, text);
            }
            else
            {
                text.Append(r.ToString());
            }
        }

        return text.ToString();
    }
}
