using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AlbertGen.Tokenization.Fast;

/// <summary>One decoder of a <c>tokenizer.json</c> (HF <c>Decoder::decode_chain</c>): rewrites the list of token strings in place.</summary>
internal abstract class DecoderStep
{
    public abstract void DecodeChain(List<string> tokens);
}

/// <summary>HF <c>Metaspace</c> decoder: the replacement becomes a space, except in the first token unless the scheme is <c>never</c>.</summary>
internal sealed class MetaspaceDecoder(char replacement, PrependScheme prependScheme) : DecoderStep
{
    public override void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            tokens[i] = i == 0 && prependScheme != PrependScheme.Never
                ? tokens[i].Replace(replacement.ToString(), "", StringComparison.Ordinal)
                : tokens[i].Replace(replacement, ' ');
        }
    }
}

/// <summary>HF <c>Replace</c> decoder: a literal or pattern replaced in every token.</summary>
internal sealed class ReplaceDecoder(string? literal, Regex? regex, string content) : DecoderStep
{
    public override void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            tokens[i] = literal is not null
                ? (literal.Length == 0 ? tokens[i] : tokens[i].Replace(literal, content, StringComparison.Ordinal))
                : regex!.Replace(tokens[i], content.Replace("$", "$$", StringComparison.Ordinal));
        }
    }
}

/// <summary>HF <c>Strip</c> decoder: up to <c>start</c> leading and <c>stop</c> trailing copies of a char removed from every token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : DecoderStep
{
    public override void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            int from = 0, to = token.Length;
            while (from < Math.Min(start, token.Length) && token[from] == content)
            {
                from++;
            }

            while (to > from && token.Length - to < stop && token[to - 1] == content)
            {
                to--;
            }

            tokens[i] = token[from..to];
        }
    }
}

/// <summary>HF <c>Fuse</c> decoder: all tokens joined into one.</summary>
internal sealed class FuseDecoder : DecoderStep
{
    public override void DecodeChain(List<string> tokens)
    {
        string joined = string.Concat(tokens);
        tokens.Clear();
        tokens.Add(joined);
    }
}

/// <summary>HF <c>ByteFallback</c> decoder: runs of <c>&lt;0xXX&gt;</c> tokens become the UTF-8 text they spell (U+FFFD per byte if invalid).</summary>
internal sealed class ByteFallbackDecoder : DecoderStep
{
    public override void DecodeChain(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0)
            {
                return;
            }

            try
            {
                output.Add(new UTF8Encoding(false, true).GetString([.. bytes]));
            }
            catch (DecoderFallbackException)
            {
                output.AddRange(Enumerable.Repeat("\uFFFD", bytes.Count));
            }

            bytes.Clear();
        }

        foreach (string token in tokens)
        {
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
                && byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                bytes.Add(b);
                continue;
            }

            Flush();
            output.Add(token);
        }

        Flush();
        tokens.Clear();
        tokens.AddRange(output);
    }
}
