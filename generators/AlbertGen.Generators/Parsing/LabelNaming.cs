using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace AlbertGen.Generators.Parsing
{
    /// <summary>
    /// Derives C# enum member names from <c>id2label</c> names: words (runs of identifier characters; '_' and every
    /// other character separate words) are joined in PascalCase, a word in capitals is lower-cased after its first
    /// letter (<c>B-PER</c> → <c>BPer</c>, <c>LABEL_0</c> → <c>Label0</c>), a name that cannot start an identifier
    /// (a leading digit) is prefixed with <c>Label</c>, an empty result becomes <c>Label{id}</c>, keywords are escaped,
    /// and names that collide are resolved in id order: the lowest id keeps the name, later ones get their id appended.
    /// </summary>
    internal static class LabelNaming
    {
        /// <summary>C# allows 512 characters; a shorter limit keeps generated code readable.</summary>
        internal const int MaxLength = 64;

        /// <summary>Names an enum member cannot take: the enum's own name (<c>Label</c>) and the compiler's <c>value__</c>.</summary>
        private static readonly string[] Reserved = { "Label", "value__" };

        public static string[] Identifiers(IReadOnlyList<string> names)
        {
            var result = new string[names.Count];
            var baseNames = new string[names.Count];
            var taken = new HashSet<string>(Reserved, System.StringComparer.Ordinal);
            for (int i = 0; i < names.Count; i++)
            {
                baseNames[i] = Identifier(names[i], i);
            }

            for (int i = 0; i < names.Count; i++)
            {
                if (taken.Add(baseNames[i]))
                {
                    result[i] = baseNames[i];
                }
            }

            for (int i = 0; i < names.Count; i++)
            {
                if (result[i] != null)
                {
                    continue;
                }

                string candidate = baseNames[i] + i.ToString(CultureInfo.InvariantCulture);
                while (!taken.Add(candidate))
                {
                    candidate += "_";
                }

                result[i] = candidate;
            }

            return result;
        }

        /// <summary>The identifier for one name, before collisions are resolved.</summary>
        internal static string Identifier(string name, int id)
        {
            var identifier = new StringBuilder();
            var word = new StringBuilder();
            foreach (char c in name ?? string.Empty)
            {
                // Formatting characters are legal in identifiers but ignored when the compiler compares them,
                // so keeping them could make two different-looking names the same member: drop them.
                bool formatting = CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format;
                if (c != '_' && !formatting && SyntaxFacts.IsIdentifierPartCharacter(c))
                {
                    word.Append(c);
                }
                else
                {
                    AppendWord(identifier, word);
                }
            }

            AppendWord(identifier, word);
            string text = identifier.ToString();
            if (text.Length == 0)
            {
                return "Label" + id.ToString(CultureInfo.InvariantCulture);
            }

            if (!SyntaxFacts.IsIdentifierStartCharacter(text[0]))
            {
                text = "Label" + text;
            }

            if (text.Length > MaxLength)
            {
                text = text.Substring(0, MaxLength);
            }

            // PascalCase never spells a (lower-case) keyword, but escaping is cheap insurance.
            return SyntaxFacts.GetKeywordKind(text) != SyntaxKind.None ? "@" + text : text;
        }

        private static void AppendWord(StringBuilder identifier, StringBuilder word)
        {
            if (word.Length == 0)
            {
                return;
            }

            bool shouting = true;
            bool hasLetter = false;
            for (int i = 0; i < word.Length; i++)
            {
                if (char.IsLetter(word[i]))
                {
                    hasLetter = true;
                    shouting &= !char.IsLower(word[i]);
                }
            }

            identifier.Append(char.ToUpperInvariant(word[0]));
            for (int i = 1; i < word.Length; i++)
            {
                identifier.Append(hasLetter && shouting ? char.ToLowerInvariant(word[i]) : word[i]);
            }

            word.Clear();
        }
    }
}
