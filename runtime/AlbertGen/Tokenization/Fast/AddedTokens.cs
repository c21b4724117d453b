using System.Globalization;
using System.Text;

namespace AlbertGen.Tokenization.Fast;

/// <summary>An entry of <c>tokenizer.json</c>'s <c>added_tokens</c> (HF <c>AddedToken</c>).</summary>
/// <param name="Id">Its id.</param>
/// <param name="Content">Its text.</param>
/// <param name="SingleWord">Only matched as a whole word.</param>
/// <param name="LStrip">Takes the whitespace on its left.</param>
/// <param name="RStrip">Takes the whitespace on its right.</param>
/// <param name="Normalized">Matched in the normalised text (else in the raw text, before normalisation).</param>
/// <param name="Special">A special token (dropped by <c>skip_special_tokens</c>).</param>
internal sealed record AddedToken(int Id, string Content, bool SingleWord, bool LStrip, bool RStrip, bool Normalized, bool Special);

/// <summary>A piece of text split on added tokens: chars <c>[Start, End)</c>, and the token when it is one.</summary>
internal readonly record struct AddedTokenSplit(int Start, int End, AddedToken? Token);

/// <summary>
/// HF <c>AddedVocabulary::find_matches</c>: added tokens found in text (leftmost, then longest, not overlapping),
/// with their <c>single_word</c>, <c>lstrip</c> and <c>rstrip</c> rules; the splits cover the whole text.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly (string Pattern, AddedToken Token)[] _patterns;
    private readonly string _firstChars;

    /// <param name="patterns">Each token with the text it is matched as (its content, or its normalised content).</param>
    public AddedTokenMatcher(IEnumerable<(string Pattern, AddedToken Token)> patterns)
    {
        // Longest first, so the first pattern that matches at a position is the longest one there.
        _patterns = [.. patterns.Where(p => p.Pattern.Length > 0).OrderByDescending(p => p.Pattern.Length)];
        _firstChars = new string([.. _patterns.Select(p => p.Pattern[0]).Distinct()]);
    }

    public bool IsEmpty => _patterns.Length == 0;

    /// <summary>Splits <paramref name="text"/>; plain splits are never empty.</summary>
    public void Split(ReadOnlySpan<char> text, List<AddedTokenSplit> output)
    {
        output.Clear();
        int done = 0;
        int searchFrom = 0;
        while (searchFrom < text.Length && !IsEmpty)
        {
            int next = text[searchFrom..].IndexOfAny(_firstChars);
            if (next < 0)
            {
                break;
            }

            int at = searchFrom + next;
            (string Pattern, AddedToken Token)? found = null;
            foreach (var candidate in _patterns)
            {
                if (text[at..].StartsWith(candidate.Pattern, StringComparison.Ordinal))
                {
                    found = candidate;
                    break;
                }
            }

            if (found is not { } match)
            {
                searchFrom = at + 1;
                continue;
            }

            int start = at, stop = at + match.Pattern.Length;
            searchFrom = stop;
            AddedToken token = match.Token;
            if (token.SingleWord && ((start > 0 && IsWordChar(text, start, before: true)) || (stop < text.Length && IsWordChar(text, stop, before: false))))
            {
                continue;
            }

            if (token.LStrip)
            {
                while (start > done && char.IsWhiteSpace(text[start - 1]))
                {
                    start--;
                }
            }

            if (token.RStrip)
            {
                while (stop < text.Length && char.IsWhiteSpace(text[stop]))
                {
                    stop++;
                }
            }

            start = Math.Max(start, done);
            if (done < start)
            {
                output.Add(new AddedTokenSplit(done, start, null));
            }

            output.Add(new AddedTokenSplit(start, stop, token));
            done = stop;
            searchFrom = Math.Max(searchFrom, stop);
        }

        if (done < text.Length)
        {
            output.Add(new AddedTokenSplit(done, text.Length, null));
        }
    }

    /// <summary>Whether the code point before (or at) <paramref name="at"/> is a regex <c>\w</c> char.</summary>
    private static bool IsWordChar(ReadOnlySpan<char> text, int at, bool before)
    {
        Rune rune;
        if (before)
        {
            Rune.DecodeLastFromUtf16(text[..at], out rune, out _);
        }
        else
        {
            Rune.DecodeFromUtf16(text[at..], out rune, out _);
        }

        if (rune.Value is 0x200C or 0x200D || rune.Value == '_')
        {
            return true;
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation => true,
            _ => false,
        };
    }
}
