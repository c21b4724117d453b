namespace AlbertGen.Tokenization.Fast;

/// <summary>A word range of pre-tokenised text: chars <c>[Start, End)</c> of an <see cref="AlignedText"/>.</summary>
internal readonly record struct WordRange(int Start, int End);

/// <summary>
/// One pre-tokenizer of a <c>tokenizer.json</c>: splits (and may rewrite) the words of normalised text. It reads the
/// words of <c>input</c> and appends the rewritten chars to <c>output</c> with its words; empty words are dropped.
/// Instances are immutable and thread-safe.
/// </summary>
internal abstract class PreTokenizerStep
{
    public abstract void Apply(AlignedText input, List<WordRange> words, AlignedText output, List<WordRange> outputWords);
}

/// <summary>When HF's <c>Metaspace</c> puts a replacement char before a word (<c>prepend_scheme</c>).</summary>
internal enum PrependScheme
{
    /// <summary>Before every piece of text that does not start with one.</summary>
    Always,

    /// <summary>Only before the piece that starts the input text.</summary>
    First,

    /// <summary>Never.</summary>
    Never,
}

/// <summary>
/// HF <c>Metaspace</c>: spaces become the replacement (<c>▁</c>), which is prepended as <see cref="PrependScheme"/>
/// says, and (with <c>split</c>) each replacement starts a new word.
/// </summary>
internal sealed class MetaspaceStep(char replacement, PrependScheme prependScheme, bool split) : PreTokenizerStep
{
    public char Replacement => replacement;

    public PrependScheme PrependScheme => prependScheme;

    public override void Apply(AlignedText input, List<WordRange> words, AlignedText output, List<WordRange> outputWords)
    {
        ReadOnlySpan<char> chars = input.Chars;
        foreach (WordRange word in words)
        {
            if (word.Start == word.End)
            {
                continue;
            }

            int start = output.Length;
            char first = chars[word.Start] == ' ' ? replacement : chars[word.Start];
            bool prepend = first != replacement && (prependScheme == PrependScheme.Always
                || (prependScheme == PrependScheme.First && input.Starts[word.Start] == 0));
            if (prepend)
            {
                output.Append(replacement, input.Starts[word.Start], input.Ends[word.Start]);
            }

            int copied = output.Length;
            output.AppendRange(input, word.Start, word.End);
            output.WritableChars(copied, word.End - word.Start).Replace(' ', replacement);

            if (!split)
            {
                outputWords.Add(new WordRange(start, output.Length));
                continue;
            }

            ReadOnlySpan<char> written = output.Chars;
            int wordStart = start;
            for (int i = start + 1; i < written.Length; i++)
            {
                int next = written[i..].IndexOf(replacement);
                if (next < 0)
                {
                    break;
                }

                i += next;
                outputWords.Add(new WordRange(wordStart, i));
                wordStart = i;
            }

            outputWords.Add(new WordRange(wordStart, written.Length));
        }
    }
}

/// <summary>HF <c>WhitespaceSplit</c>: words are the runs between whitespace (Unicode White_Space), which is dropped.</summary>
internal sealed class WhitespaceSplitStep : PreTokenizerStep
{
    public override void Apply(AlignedText input, List<WordRange> words, AlignedText output, List<WordRange> outputWords)
    {
        int offset = output.Length;
        AlignedEdits.Copy(input, 0, input.Length, output);
        ReadOnlySpan<char> chars = input.Chars;
        foreach (WordRange word in words)
        {
            int start = -1;
            for (int i = word.Start; i <= word.End; i++)
            {
                bool space = i == word.End || char.IsWhiteSpace(chars[i]);
                if (space && start >= 0)
                {
                    outputWords.Add(new WordRange(offset + start, offset + i));
                    start = -1;
                }
                else if (!space && start < 0)
                {
                    start = i;
                }
            }
        }
    }
}
