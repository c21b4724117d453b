using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;

namespace AlbertGen.Tokenization;

/// <summary>
/// SentencePiece's normaliser (<c>normalizer.cc</c>), re-implemented so that every output char keeps the
/// range of the input it came from: user-defined symbols pass through unchanged, everything else is
/// rewritten by the longest rule of the model's precompiled chars map (a darts-clone double-array trie over
/// UTF-8), then whitespace is collapsed, a dummy <c>▁</c> prefix added and spaces escaped as <c>▁</c>.
/// </summary>
/// <remarks>
/// ML.Tokenizers' own normaliser gives the same text but no way back to the input positions, which
/// offsets need; the encoder is then called with <c>considerNormalization: false</c> on our output.
/// ASCII runs take a table lookup instead of a trie walk when the map provably has no multi-char rule
/// that starts with ASCII followed by ASCII.
/// </remarks>
internal sealed class SentencePieceTextNormalizer
{
    /// <summary>SentencePiece's whitespace symbol, U+2581.</summary>
    public const char SpaceSymbol = '\u2581';

    private readonly uint[] _trie;
    private readonly byte[] _normalized;
    private readonly ConcurrentDictionary<int, string> _rules = new();
    private readonly string?[] _asciiRule = new string?[128];
    private readonly bool[] _asciiFast = new bool[128];
    private readonly Dictionary<char, string[]> _userSymbols;
    private readonly bool _addDummyPrefix;
    private readonly bool _removeExtraWhitespaces;
    private readonly bool _escapeWhitespaces;
    private readonly bool _whitespaceAsSuffix;

    public SentencePieceTextNormalizer(SentencePieceModelFile model)
    {
        (_trie, _normalized) = ParseCharsMap(model.PrecompiledCharsMap, $"'{model.Source}' is not a valid SentencePiece model: its precompiled chars map");
        _addDummyPrefix = model.AddDummyPrefix;
        _removeExtraWhitespaces = model.RemoveExtraWhitespaces;
        _escapeWhitespaces = model.EscapeWhitespaces;
        _whitespaceAsSuffix = model.TreatWhitespaceAsSuffix;
        _userSymbols = model.Pieces
            .Where((_, id) => model.Types[id] == PieceType.UserDefined)
            .GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(p => p.Length).ToArray());
        BuildAsciiTable();
    }

    /// <summary>Normalises <paramref name="input"/> and appends the result, with original ranges, to <paramref name="output"/>.</summary>
    public void Normalize(AlignedText input, AlignedText output)
    {
        ReadOnlySpan<char> text = input.Chars;
        int pos = 0;
        if (_removeExtraWhitespaces)
        {
            while (pos < text.Length)
            {
                ReadOnlySpan<char> rule = NormalizePrefix(text, pos, out int consumed);
                if (rule is not " ")
                {
                    break;
                }

                pos += consumed;
            }
        }

        if (pos == text.Length)
        {
            return;
        }

        int first = output.Length;
        if (_addDummyPrefix && !_whitespaceAsSuffix)
        {
            output.Append(SpaceSymbol, input.Starts[pos], input.Starts[pos]);
        }

        bool previousIsSpace = _removeExtraWhitespaces;
        while (pos < text.Length)
        {
            ReadOnlySpan<char> rule = NormalizePrefix(text, pos, out int consumed);
            int start = input.Starts[pos], end = input.Ends[pos + consumed - 1];
            if (previousIsSpace)
            {
                rule = rule.TrimStart(' ');
            }

            if (!rule.IsEmpty)
            {
                foreach (char c in rule)
                {
                    output.Append(_escapeWhitespaces && c == ' ' ? SpaceSymbol : c, start, end);
                }

                previousIsSpace = rule[^1] == ' ';
            }

            pos += consumed;
            if (!_removeExtraWhitespaces)
            {
                previousIsSpace = false;
            }
        }

        if (_removeExtraWhitespaces)
        {
            char space = _escapeWhitespaces ? SpaceSymbol : ' ';
            while (output.Length > first && output[output.Length - 1] == space)
            {
                output.RemoveLast();
            }
        }

        if (_addDummyPrefix && _whitespaceAsSuffix && output.Length > first)
        {
            int end = output.Ends[output.Length - 1];
            output.Append(SpaceSymbol, end, end);
        }
    }

    /// <summary>Normalises a plain string (no offsets needed).</summary>
    public string Normalize(string text)
    {
        var output = new AlignedText();
        Normalize(AlignedText.FromText(text), output);
        return output.Chars.ToString();
    }

    /// <summary>The replacement for the longest rule at <paramref name="pos"/>, and how many chars it consumes.</summary>
    private ReadOnlySpan<char> NormalizePrefix(ReadOnlySpan<char> text, int pos, out int consumed)
    {
        char c = text[pos];
        if (c < 128 && _asciiFast[c] && (pos + 1 == text.Length || text[pos + 1] < 128))
        {
            consumed = 1;
            return _asciiRule[c] ?? text.Slice(pos, 1);
        }

        if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && pos + 1 < text.Length && char.IsLowSurrogate(text[pos + 1])))
        {
            // A lone surrogate is malformed text: SentencePiece turns a malformed UTF-8 byte into U+FFFD
            // without looking it up (a real U+FFFD is looked up, and nmt_nfkc maps it to a space).
            consumed = 1;
            return "\uFFFD";
        }

        if (_userSymbols.TryGetValue(c, out string[]? symbols))
        {
            foreach (string symbol in symbols)
            {
                if (text[pos..].StartsWith(symbol, StringComparison.Ordinal))
                {
                    consumed = symbol.Length;
                    return text.Slice(pos, consumed);
                }
            }
        }

        int value = LongestRule(text, pos, out consumed);
        if (value >= 0)
        {
            return Rule(value);
        }

        // No rule: the code point passes through.
        consumed = char.IsHighSurrogate(c) ? 2 : 1;
        return text.Slice(pos, consumed);
    }

    /// <summary>Walks the trie along the UTF-8 bytes of <paramref name="text"/> from <paramref name="pos"/>; returns the longest rule's value or -1.</summary>
    private int LongestRule(ReadOnlySpan<char> text, int pos, out int consumed)
    {
        consumed = 0;
        int best = -1;
        if (_trie.Length == 0)
        {
            return best;
        }

        Span<byte> utf8 = stackalloc byte[4];
        uint nodePos = Offset(_trie[0]);
        int i = pos;
        while (i < text.Length)
        {
            if (Rune.DecodeFromUtf16(text[i..], out Rune rune, out int chars) != System.Buffers.OperationStatus.Done)
            {
                return best; // a lone surrogate ends every rule
            }

            int byteCount = rune.EncodeToUtf8(utf8);
            for (int b = 0; b < byteCount; b++)
            {
                nodePos ^= utf8[b];
                if (nodePos >= (uint)_trie.Length)
                {
                    return best;
                }

                uint unit = _trie[nodePos];
                if ((unit & 0x800000FFu) != utf8[b])
                {
                    return best;
                }

                nodePos ^= Offset(unit);
                if (((unit >> 8) & 1) != 0 && b == byteCount - 1 && nodePos < (uint)_trie.Length)
                {
                    best = (int)(_trie[nodePos] & 0x7FFFFFFFu);
                    consumed = i + chars - pos;
                }
            }

            i += chars;
        }

        return best;
    }

    internal static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    private string Rule(int value) => _rules.GetOrAdd(value, static (v, blob) =>
    {
        if (v >= blob.Length)
        {
            return "";
        }

        int end = Array.IndexOf(blob, (byte)0, v);
        return Encoding.UTF8.GetString(blob, v, (end < 0 ? blob.Length : end) - v);
    }, _normalized);

    private void BuildAsciiTable()
    {
        Span<char> one = stackalloc char[1];
        for (int c = 0; c < 128; c++)
        {
            bool longerUserSymbol = _userSymbols.TryGetValue((char)c, out string[]? symbols) && symbols.Any(s => s.Length > 1);
            bool isUserSymbol = symbols is not null && symbols.Any(s => s.Length == 1);
            one[0] = (char)c;
            int value = isUserSymbol ? -1 : LongestRule(one, 0, out _);
            _asciiRule[c] = value >= 0 ? Rule(value) : null;
            _asciiFast[c] = !longerUserSymbol && !HasAsciiContinuation((byte)c);
        }
    }

    /// <summary>Whether some rule's key starts with ASCII byte <paramref name="first"/> followed by another ASCII byte.</summary>
    private bool HasAsciiContinuation(byte first)
    {
        if (_trie.Length == 0)
        {
            return false;
        }

        uint nodePos = Offset(_trie[0]) ^ first;
        if (nodePos >= (uint)_trie.Length || (_trie[nodePos] & 0x800000FFu) != first)
        {
            return false;
        }

        uint child = nodePos ^ Offset(_trie[nodePos]);
        for (uint second = 1; second < 128; second++)
        {
            uint next = child ^ second;
            if (next < (uint)_trie.Length && (_trie[next] & 0x800000FFu) == second)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Splits a precompiled chars map into its darts-clone trie and its blob of replacements.</summary>
    /// <param name="blob">The map's bytes.</param>
    /// <param name="what">Names the map in the error message (file and field).</param>
    internal static (uint[] Trie, byte[] Normalized) ParseCharsMap(byte[] blob, string what)
    {
        if (blob.Length == 0)
        {
            return ([], []);
        }

        uint trieBytes = blob.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(blob) : uint.MaxValue;
        if (trieBytes > (uint)(blob.Length - 4) || trieBytes % 4 != 0 || trieBytes == 0)
        {
            throw new InvalidDataException(
                $"{what} ({blob.Length} bytes) declares a trie of {trieBytes} bytes");
        }

        var trie = new uint[trieBytes / 4];
        for (int i = 0; i < trie.Length; i++)
        {
            trie[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4 + (i * 4)));
        }

        return (trie, blob[(4 + (int)trieBytes)..]);
    }
}
