namespace AlbertGen.Tokenization;

/// <summary>
/// A text being transformed, where every char remembers the range <c>[Start, End)</c> of the original text
/// it came from. Each transformation stage reads one of these and appends to another, so offsets survive
/// lower-casing, decomposition, whitespace collapse and SentencePiece normalisation. Buffers are reused:
/// an instance belongs to one thread at a time.
/// </summary>
internal sealed class AlignedText
{
    private char[] _chars = new char[256];
    private int[] _starts = new int[256];
    private int[] _ends = new int[256];

    public int Length { get; private set; }

    /// <summary>Chars the buffers hold without growing.</summary>
    public int Capacity => _chars.Length;

    /// <summary>Wraps plain text, one range per char (a surrogate pair's two chars share the pair's range).</summary>
    public static AlignedText FromText(ReadOnlySpan<char> text)
    {
        var aligned = new AlignedText();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                aligned.Append(text.Slice(i, 2), i, i + 2);
                i++;
            }
            else
            {
                aligned.Append(c, i, i + 1);
            }
        }

        return aligned;
    }

    public ReadOnlySpan<char> Chars => _chars.AsSpan(0, Length);

    public ReadOnlySpan<int> Starts => _starts.AsSpan(0, Length);

    public ReadOnlySpan<int> Ends => _ends.AsSpan(0, Length);

    public char this[int index] => _chars[index];

    public void Clear() => Length = 0;

    public void Append(char c, int start, int end)
    {
        if (Length == _chars.Length)
        {
            Grow(Length + 1);
        }

        _chars[Length] = c;
        _starts[Length] = start;
        _ends[Length] = end;
        Length++;
    }

    public void Append(ReadOnlySpan<char> text, int start, int end)
    {
        if (Length + text.Length > _chars.Length)
        {
            Grow(Length + text.Length);
        }

        text.CopyTo(_chars.AsSpan(Length));
        _starts.AsSpan(Length, text.Length).Fill(start);
        _ends.AsSpan(Length, text.Length).Fill(end);
        Length += text.Length;
    }

    /// <summary>Appends <c>source[from..to)</c> with its ranges.</summary>
    public void AppendRange(AlignedText source, int from, int to)
    {
        int count = to - from;
        if (count <= 0)
        {
            return;
        }

        if (Length + count > _chars.Length)
        {
            Grow(Length + count);
        }

        source._chars.AsSpan(from, count).CopyTo(_chars.AsSpan(Length));
        source._starts.AsSpan(from, count).CopyTo(_starts.AsSpan(Length));
        source._ends.AsSpan(from, count).CopyTo(_ends.AsSpan(Length));
        Length += count;
    }

    /// <summary>Appends original text, char <c>k</c> with the range <c>[offset + k, offset + k + 1)</c>.</summary>
    public void AppendOriginal(ReadOnlySpan<char> text, int offset)
    {
        if (Length + text.Length > _chars.Length)
        {
            Grow(Length + text.Length);
        }

        text.CopyTo(_chars.AsSpan(Length));
        for (int k = 0; k < text.Length; k++)
        {
            _starts[Length + k] = offset + k;
            _ends[Length + k] = offset + k + 1;
        }

        Length += text.Length;
    }

    /// <summary>The chars <c>[from, from + length)</c>, to rewrite in place (their ranges stay).</summary>
    public Span<char> WritableChars(int from, int length) => _chars.AsSpan(from, length);

    /// <summary>Extends the original range of the last char to <paramref name="end"/> (for dropped input that belongs to it).</summary>
    public void ExtendLast(int end)
    {
        if (Length > 0 && _ends[Length - 1] < end)
        {
            _ends[Length - 1] = end;
        }
    }

    public void RemoveLast() => Length--;

    private void Grow(int needed)
    {
        int size = Math.Max(needed, _chars.Length * 2);
        Array.Resize(ref _chars, size);
        Array.Resize(ref _starts, size);
        Array.Resize(ref _ends, size);
    }
}
