using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AlbertGen.Tokenization.Fast;

/// <summary>
/// One normaliser of a <c>tokenizer.json</c> (a member of its <c>Sequence</c>): rewrites aligned text the way
/// HuggingFace <c>tokenizers</c> does, each output char keeping the original range HF's <c>NormalizedString</c> gives it.
/// Instances are immutable and thread-safe.
/// </summary>
internal abstract class NormalizerStep
{
    /// <summary>Appends the normalised form of <paramref name="input"/> to <paramref name="output"/> (which starts empty).</summary>
    public abstract void Apply(AlignedText input, AlignedText output);
}

/// <summary>
/// A normaliser that maps each code point on its own to zero or more code points, all of which take its range
/// (HF's <c>nfd</c>/<c>nfkd</c>, <c>lowercase</c> and <c>filter</c> give exactly that).
/// </summary>
internal abstract class CodePointStep : NormalizerStep
{
    private readonly ConcurrentDictionary<int, string> _cache = new();

    public override void Apply(AlignedText input, AlignedText output)
    {
        ReadOnlySpan<char> chars = input.Chars;
        for (int i = 0; i < chars.Length;)
        {
            char c = chars[i];
            if (c < 0x80 && AsciiRunsCopy)
            {
                // A run of ASCII is copied whole, then rewritten in place.
                int run = chars[i..].IndexOfAnyExceptInRange('\0', '\x7F');
                int end = run < 0 ? chars.Length : i + run;
                int at = output.Length;
                output.AppendRange(input, i, end);
                RewriteAscii(output.WritableChars(at, end - i));
                i = end;
                continue;
            }

            if (c < 0x80)
            {
                int mapped = MapAscii(c);
                if (mapped >= 0)
                {
                    output.Append((char)mapped, input.Starts[i], input.Ends[i]);
                }

                i++;
                continue;
            }

            int length = AlignedEdits.CodePointLength(chars, i);
            int codePoint = AlignedEdits.CodePointAt(chars, i);
            string replacement = _cache.GetOrAdd(codePoint, static (cp, self) => self.Map(cp), this);
            if (replacement.Length > 0)
            {
                output.Append(replacement, input.Starts[i], input.Ends[i]);
            }

            i += length;
        }
    }

    /// <summary>Whether every ASCII char maps to one char, so ASCII runs can be copied and rewritten in place.</summary>
    protected virtual bool AsciiRunsCopy => true;

    /// <summary>The image of an ASCII char, or -1 to drop it.</summary>
    protected abstract int MapAscii(char c);

    /// <summary>Rewrites a run of ASCII chars in place (when <see cref="AsciiRunsCopy"/>); identity by default.</summary>
    protected virtual void RewriteAscii(Span<char> run)
    {
    }

    /// <summary>The image of a non-ASCII code point (cached).</summary>
    protected abstract string Map(int codePoint);

    protected static string Normalize(int codePoint, NormalizationForm form)
    {
        string text = codePoint is >= 0xD800 and <= 0xDFFF ? "\uFFFD" : char.ConvertFromUtf32(codePoint);
        try
        {
            return text.Normalize(form);
        }
        catch (ArgumentException)
        {
            return text; // not normalisable (e.g. a noncharacter): left as it is
        }
    }
}

/// <summary>HF <c>NFD</c> / <c>NFKD</c>: each code point's full decomposition.</summary>
/// <remarks>Canonical reordering of combining marks across code points is not applied; it only moves marks, which the
/// <c>StripAccents</c> that follows decomposition in every SentencePiece conversion removes anyway.</remarks>
internal sealed class DecomposeStep(NormalizationForm form) : CodePointStep
{
    protected override int MapAscii(char c) => c;

    protected override string Map(int codePoint) => Normalize(codePoint, form);
}

/// <summary>HF <c>Lowercase</c>: Rust's <c>char::to_lowercase</c> (full mapping) of each code point.</summary>
internal sealed class LowercaseStep : CodePointStep
{
    protected override int MapAscii(char c) => c is >= 'A' and <= 'Z' ? c + 32 : c;

    protected override void RewriteAscii(Span<char> run) => System.Text.Ascii.ToLowerInPlace(run, out _);

    protected override string Map(int codePoint)
    {
        if (codePoint is >= 0xD800 and <= 0xDFFF)
        {
            return char.ConvertFromUtf32(0xFFFD);
        }

        var text = new StringBuilder(2);
        PythonText.AppendLower(new Rune(codePoint), text);
        return text.ToString();
    }
}

/// <summary>HF <c>StripAccents</c>: drops every mark (general category M: Mn, Mc, Me).</summary>
internal sealed class StripAccentsStep : CodePointStep
{
    protected override int MapAscii(char c) => c;

    protected override string Map(int codePoint)
    {
        if (codePoint is >= 0xD800 and <= 0xDFFF)
        {
            return char.ConvertFromUtf32(0xFFFD);
        }

        UnicodeCategory category = Rune.GetUnicodeCategory(new Rune(codePoint));
        return category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
            ? ""
            : char.ConvertFromUtf32(codePoint);
    }
}

/// <summary>
/// HF <c>NFC</c> / <c>NFKC</c>: each base code point with the marks that follow it is composed; the k-th output
/// code point takes the range of the k-th input code point of that group (the last one's when there are fewer).
/// </summary>
internal sealed class ComposeStep(NormalizationForm form) : NormalizerStep
{
    public override void Apply(AlignedText input, AlignedText output)
    {
        ReadOnlySpan<char> chars = input.Chars;
        var starts = new List<int>();
        for (int i = 0; i < chars.Length;)
        {
            if (chars[i] < 0x80 && (i + 1 == chars.Length || chars[i + 1] < 0x80))
            {
                output.Append(chars[i], input.Starts[i], input.Ends[i]);
                i++;
                continue;
            }

            starts.Clear();
            int end = i;
            do
            {
                starts.Add(end);
                end += AlignedEdits.CodePointLength(chars, end);
            }
            while (end < chars.Length && IsMark(AlignedEdits.CodePointAt(chars, end)));

            string composed;
            try
            {
                composed = chars[i..end].ToString().Normalize(form);
            }
            catch (ArgumentException)
            {
                composed = chars[i..end].ToString();
            }

            int k = 0;
            foreach (Rune rune in composed.EnumerateRunes())
            {
                int at = starts[Math.Min(k++, starts.Count - 1)];
                AlignedEdits.AppendRune(output, rune.Value, input.Starts[at], input.Ends[at]);
            }

            i = end;
        }
    }

    private static bool IsMark(int codePoint) =>
        codePoint is < 0xD800 or > 0xDFFF
        && Rune.GetUnicodeCategory(new Rune(codePoint)) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
}

/// <summary>
/// HF <c>Replace</c>: every match of a literal or a regular expression becomes <c>content</c>, whose chars all take the
/// range of the match's last char.
/// </summary>
/// <remarks>Regular expressions are HF's Oniguruma patterns run by .NET's engine, which agrees on the patterns
/// tokenizer files use (literal runs, classes, repetition); a pathological pattern hits a 1-second match timeout.</remarks>
internal sealed class ReplaceStep : NormalizerStep
{
    private readonly string? _literal;
    private readonly Regex? _regex;
    private readonly string _content;

    public ReplaceStep(string? literal, Regex? regex, string content)
    {
        (_literal, _regex, _content) = (literal, regex, content);
    }

    public override void Apply(AlignedText input, AlignedText output)
    {
        ReadOnlySpan<char> chars = input.Chars;
        int pos = 0;
        if (_literal is not null)
        {
            if (_literal.Length > 0)
            {
                int found;
                while ((found = chars[pos..].IndexOf(_literal, StringComparison.Ordinal)) >= 0)
                {
                    int start = pos + found;
                    Emit(input, pos, start, start + _literal.Length, output);
                    pos = start + _literal.Length;
                }
            }
        }
        else
        {
            foreach (ValueMatch match in _regex!.EnumerateMatches(chars))
            {
                Emit(input, pos, match.Index, match.Index + match.Length, output);
                pos = match.Index + match.Length;
            }
        }

        AlignedEdits.Copy(input, pos, chars.Length, output);
    }

    private void Emit(AlignedText input, int copyFrom, int matchStart, int matchEnd, AlignedText output)
    {
        AlignedEdits.Copy(input, copyFrom, matchStart, output);
        int at = matchEnd - 1;
        (int start, int end) = at >= 0 ? (input.Starts[at], input.Ends[at]) : input.Length > 0 ? (input.Starts[0], input.Starts[0]) : (0, 0);
        output.Append(_content, start, end);
    }
}

/// <summary>HF <c>Strip</c>: removes whitespace (Unicode White_Space) at the start and/or end.</summary>
internal sealed class StripStep(bool left, bool right) : NormalizerStep
{
    public override void Apply(AlignedText input, AlignedText output)
    {
        ReadOnlySpan<char> chars = input.Chars;
        int start = 0, end = chars.Length;
        while (left && start < end && char.IsWhiteSpace(chars[start]))
        {
            start++;
        }

        while (right && end > start && char.IsWhiteSpace(chars[end - 1]))
        {
            end--;
        }

        AlignedEdits.Copy(input, start, end, output);
    }
}

/// <summary>HF <c>Prepend</c>: puts a string before non-empty text; it takes the range of the first char.</summary>
internal sealed class PrependStep(string prefix) : NormalizerStep
{
    public override void Apply(AlignedText input, AlignedText output)
    {
        if (input.Length == 0)
        {
            return;
        }

        output.Append(prefix, input.Starts[0], input.Ends[0]);
        AlignedEdits.Copy(input, 0, input.Length, output);
    }
}
