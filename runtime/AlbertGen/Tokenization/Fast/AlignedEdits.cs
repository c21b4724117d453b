using System.Text;

namespace AlbertGen.Tokenization.Fast;

/// <summary>One char of a rewritten text and how it relates to the text before (HF <c>NormalizedString::transform</c>).</summary>
/// <param name="Rune">The new code point.</param>
/// <param name="Change">0: replaces the next old char; 1: inserted (shares the previous old char's range); -N: replaces the next old char and removes N more.</param>
internal readonly record struct AlignedEdit(int Rune, int Change);

/// <summary>
/// HuggingFace <c>tokenizers</c>' rule for the original ranges of rewritten text, applied to <see cref="AlignedText"/>:
/// a replacing char takes the range of the old char it replaces, an inserted char the range of the old char before it.
/// Offsets of the fast tokenizer come out of these ranges, so they follow HF's rule rather than a "nicer" one.
/// </summary>
internal static class AlignedEdits
{
    /// <summary>Rewrites <paramref name="input"/> by <paramref name="edits"/> into <paramref name="output"/>, after dropping <paramref name="initialRemoved"/> code points.</summary>
    /// <param name="input">The text before.</param>
    /// <param name="from">Where in <paramref name="input"/> the edits start (the chars before it were copied already).</param>
    /// <param name="edits">The new chars.</param>
    /// <param name="initialRemoved">Code points dropped first.</param>
    /// <param name="output">Receives the new chars.</param>
    /// <returns>Where in <paramref name="input"/> the next edit would start.</returns>
    public static int Apply(AlignedText input, int from, List<AlignedEdit> edits, int initialRemoved, AlignedText output)
    {
        ReadOnlySpan<char> chars = input.Chars;
        int pos = from;
        for (int k = 0; k < initialRemoved && pos < chars.Length; k++)
        {
            pos += CodePointLength(chars, pos);
        }

        foreach (AlignedEdit edit in edits)
        {
            int start, end;
            if (edit.Change > 0)
            {
                (start, end) = pos > 0 ? (input.Starts[pos - 1], input.Ends[pos - 1]) : EmptyAtStart(input);
            }
            else
            {
                (start, end) = pos < chars.Length ? (input.Starts[pos], input.Ends[pos]) : LastRange(input);
                if (pos < chars.Length)
                {
                    pos += CodePointLength(chars, pos);
                }

                for (int k = 0; k < -edit.Change && pos < chars.Length; k++)
                {
                    pos += CodePointLength(chars, pos);
                }
            }

            AppendRune(output, edit.Rune, start, end);
        }

        return pos;
    }

    /// <summary>Appends one code point (one or two chars), all with the same original range.</summary>
    public static void AppendRune(AlignedText output, int rune, int start, int end)
    {
        if (rune < 0x10000)
        {
            output.Append((char)rune, start, end);
            return;
        }

        Span<char> pair = stackalloc char[2];
        new Rune(rune).EncodeToUtf16(pair);
        output.Append(pair, start, end);
    }

    /// <summary>Chars taken by the code point at <paramref name="pos"/>: 2 for a surrogate pair, else 1.</summary>
    public static int CodePointLength(ReadOnlySpan<char> chars, int pos) =>
        char.IsHighSurrogate(chars[pos]) && pos + 1 < chars.Length && char.IsLowSurrogate(chars[pos + 1]) ? 2 : 1;

    /// <summary>The code point at <paramref name="pos"/> (a lone surrogate is itself).</summary>
    public static int CodePointAt(ReadOnlySpan<char> chars, int pos) =>
        CodePointLength(chars, pos) == 2 ? char.ConvertToUtf32(chars[pos], chars[pos + 1]) : chars[pos];

    /// <summary>Copies <c>input[from..to)</c> with its ranges.</summary>
    public static void Copy(AlignedText input, int from, int to, AlignedText output) => output.AppendRange(input, from, to);

    // HF gives (0, 0) relative to the piece of text being normalised: its first original position here.
    private static (int, int) EmptyAtStart(AlignedText input) => input.Length > 0 ? (input.Starts[0], input.Starts[0]) : (0, 0);

    private static (int, int) LastRange(AlignedText input) => input.Length > 0 ? (input.Starts[^1], input.Ends[^1]) : (0, 0);
}
