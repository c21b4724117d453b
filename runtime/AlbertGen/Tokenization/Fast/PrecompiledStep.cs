using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace AlbertGen.Tokenization.Fast;

/// <summary>
/// HF <c>Precompiled</c>: SentencePiece's precompiled chars map (e.g. <c>nmt_nfkc</c>) as HuggingFace applies it,
/// which is not how SentencePiece does: each grapheme cluster shorter than 6 UTF-8 bytes is looked up whole, else each
/// of its code points; a lookup takes the <em>shortest</em> rule that is a prefix of what is looked up.
/// </summary>
internal sealed class PrecompiledStep : NormalizerStep
{
    private static readonly string NoRule = new('\0', 1);

    [ThreadStatic]
    private static List<AlignedEdit>? t_edits;

    private readonly uint[] _trie;
    private readonly byte[] _replacements;
    private readonly string?[] _ascii = new string?[128];
    private readonly ConcurrentDictionary<int, string> _codePoints = new();
    private readonly ConcurrentDictionary<int, string> _rules = new();
    private readonly System.Buffers.SearchValues<char> _plainAscii;

    /// <param name="charsMap">The map's bytes.</param>
    /// <param name="what">Names the map in error messages (file and field).</param>
    public PrecompiledStep(byte[] charsMap, string what)
    {
        (_trie, _replacements) = SentencePieceTextNormalizer.ParseCharsMap(charsMap, what);
        Span<char> one = stackalloc char[1];
        for (int c = 0; c < 128; c++)
        {
            one[0] = (char)c;
            _ascii[c] = Lookup(one);
        }

        _plainAscii = System.Buffers.SearchValues.Create([.. Enumerable.Range(0, 128).Where(c => _ascii[c] is null && c != '\r').Select(c => (char)c)]);
    }

    public override void Apply(AlignedText input, AlignedText output)
    {
        ReadOnlySpan<char> chars = input.Chars;
        int first = chars.IndexOfAnyExcept(_plainAscii);
        if (first < 0)
        {
            AlignedEdits.Copy(input, 0, chars.Length, output);
            return;
        }

        // Plain ASCII before the first char that may change is copied; the char just before it stays an edit, because a
        // removal is charged to the edit before it.
        int from = Math.Max(0, first - 1);
        AlignedEdits.Copy(input, 0, from, output);
        List<AlignedEdit> edits = t_edits ??= [];
        edits.Clear();
        int consumed = from;
        for (int pos = from; pos < chars.Length;)
        {
            int run = chars[pos..].IndexOfAnyExcept(_plainAscii);
            int runEnd = run < 0 ? chars.Length : pos + run;
            if (runEnd - pos >= 4)
            {
                // A run of plain ASCII is copied, except its last char (it may join what follows in a grapheme) and the
                // one before (kept as the last edit, which a later removal is charged to).
                consumed = AlignedEdits.Apply(input, consumed, edits, 0, output);
                edits.Clear();
                if (consumed == pos)
                {
                    int bulkEnd = runEnd - 2;
                    AlignedEdits.Copy(input, pos, bulkEnd, output);
                    edits.Add(new AlignedEdit(chars[bulkEnd], 0));
                    consumed = bulkEnd;
                    pos = bulkEnd + 1;
                    continue;
                }
            }

            char c = chars[pos];
            int length = c < 0x80 && c != '\r' && (pos + 1 == chars.Length || chars[pos + 1] < 0x80)
                ? 1
                : StringInfo.GetNextTextElementLength(chars[pos..]);
            ReadOnlySpan<char> grapheme = chars.Slice(pos, length);
            if (Encoding.UTF8.GetByteCount(grapheme) < 6 && Transform(grapheme) is { } whole)
            {
                Replace(edits, grapheme, whole);
            }
            else
            {
                for (int i = 0; i < grapheme.Length;)
                {
                    int cpLength = AlignedEdits.CodePointLength(grapheme, i);
                    if (Transform(grapheme.Slice(i, cpLength)) is { } rule)
                    {
                        Replace(edits, grapheme.Slice(i, cpLength), rule);
                    }
                    else
                    {
                        edits.Add(new AlignedEdit(AlignedEdits.CodePointAt(grapheme, i), 0));
                    }

                    i += cpLength;
                }
            }

            pos += length;
        }

        AlignedEdits.Apply(input, consumed, edits, 0, output);
        if (edits.Capacity > 1 << 16)
        {
            t_edits = null;
        }
    }

    /// <summary>
    /// HF's <c>replace</c> helper: the new code points replace the old ones one for one; extra new ones are
    /// insertions; missing ones are removals charged to the last edit so far (even one of an earlier grapheme).
    /// </summary>
    private static void Replace(List<AlignedEdit> edits, ReadOnlySpan<char> oldPart, string newPart)
    {
        int oldCount = CountCodePoints(oldPart);
        int newCount = 0;
        foreach (Rune rune in newPart.EnumerateRunes())
        {
            edits.Add(new AlignedEdit(rune.Value, 0));
            newCount++;
        }

        int diff = newCount - oldCount;
        if (diff > 0)
        {
            for (int k = edits.Count - diff; k < edits.Count; k++)
            {
                edits[k] = edits[k] with { Change = 1 };
            }
        }
        else if (diff < 0 && edits.Count > 0)
        {
            edits[^1] = edits[^1] with { Change = edits[^1].Change + diff };
        }
    }

    private static int CountCodePoints(ReadOnlySpan<char> text)
    {
        int count = 0;
        for (int i = 0; i < text.Length; i += AlignedEdits.CodePointLength(text, i))
        {
            count++;
        }

        return count;
    }

    private string? Transform(ReadOnlySpan<char> text)
    {
        if (text.Length == 1 && text[0] < 0x80)
        {
            return _ascii[text[0]];
        }

        if (AlignedEdits.CodePointLength(text, 0) == text.Length)
        {
            string rule = _codePoints.GetOrAdd(AlignedEdits.CodePointAt(text, 0), static (cp, self) =>
            {
                string single = cp is >= 0xD800 and <= 0xDFFF ? ((char)cp).ToString() : char.ConvertFromUtf32(cp);
                return self.Lookup(single) ?? NoRule;
            }, this);
            return ReferenceEquals(rule, NoRule) ? null : rule;
        }

        return Lookup(text);
    }

    /// <summary>The replacement of the shortest rule that is a prefix of <paramref name="text"/>'s UTF-8 bytes, or null.</summary>
    private string? Lookup(ReadOnlySpan<char> text)
    {
        if (_trie.Length == 0)
        {
            return null;
        }

        Span<byte> utf8 = stackalloc byte[32];
        if (!Encoding.UTF8.TryGetBytes(text, utf8, out int byteCount))
        {
            return null;
        }

        uint node = SentencePieceTextNormalizer.Offset(_trie[0]);
        for (int b = 0; b < byteCount; b++)
        {
            byte label = utf8[b];
            if (label == 0)
            {
                return null;
            }

            node ^= label;
            if (node >= (uint)_trie.Length)
            {
                return null;
            }

            uint unit = _trie[node];
            if ((unit & 0x800000FFu) != label)
            {
                return null;
            }

            node ^= SentencePieceTextNormalizer.Offset(unit);
            if (((unit >> 8) & 1) != 0)
            {
                return node < (uint)_trie.Length ? Rule((int)(_trie[node] & 0x7FFFFFFFu)) : null;
            }
        }

        return null;
    }

    private string? Rule(int value) => value >= _replacements.Length ? null : _rules.GetOrAdd(value, static (v, blob) =>
    {
        int end = Array.IndexOf(blob, (byte)0, v);
        return Encoding.UTF8.GetString(blob, v, (end < 0 ? blob.Length : end) - v);
    }, _replacements);
}
