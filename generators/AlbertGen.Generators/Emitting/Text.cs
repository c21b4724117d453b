using System.Globalization;
using System.Text;

namespace AlbertGen.Generators.Emitting
{
    /// <summary>Escaping of values from config files and attributes for C# literals, comments and XML docs.</summary>
    internal static class Text
    {
        /// <summary>A C# string literal. Printable characters stay readable; control, format, separator and surrogate characters are escaped.</summary>
        public static string Literal(string value)
        {
            var literal = new StringBuilder("\"");
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"': literal.Append("\\\""); break;
                    case '\\': literal.Append("\\\\"); break;
                    case '\n': literal.Append("\\n"); break;
                    case '\r': literal.Append("\\r"); break;
                    case '\t': literal.Append("\\t"); break;
                    default:
                        if (NeedsEscape(c))
                        {
                            literal.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            literal.Append(c);
                        }

                        break;
                }
            }

            return literal.Append('"').ToString();
        }

        /// <summary>Text for a one-line XML doc comment: XML-escaped, with unprintable characters shown as <c>\uXXXX</c>.</summary>
        public static string Xml(string value)
        {
            var xml = new StringBuilder();
            foreach (char c in value)
            {
                switch (c)
                {
                    case '&': xml.Append("&amp;"); break;
                    case '<': xml.Append("&lt;"); break;
                    case '>': xml.Append("&gt;"); break;
                    default:
                        if (NeedsEscape(c) || c == '\n' || c == '\r' || c == '\t')
                        {
                            xml.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            xml.Append(c);
                        }

                        break;
                }
            }

            return xml.ToString();
        }

        /// <summary>An <c>int</c> literal.</summary>
        public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>A <c>double</c> literal that round-trips (<c>1E-12</c>, <c>0.1</c>, <c>0</c>).</summary>
        public static string Double(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        private static bool NeedsEscape(char c)
        {
            UnicodeCategory category = CharUnicodeInfo.GetUnicodeCategory(c);
            return category == UnicodeCategory.Control || category == UnicodeCategory.Format
                || category == UnicodeCategory.LineSeparator || category == UnicodeCategory.ParagraphSeparator
                || category == UnicodeCategory.Surrogate || category == UnicodeCategory.PrivateUse
                || category == UnicodeCategory.OtherNotAssigned;
        }
    }
}
