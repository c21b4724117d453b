// Shared source: compiled into the runtime and into the source generator.
//
// Why a hand-written parser: System.Text.Json is not reliably loadable inside a source generator in every
// host (see shared/design/platform.md), and problems must point at a line and column. This is a strict,
// bounded RFC 8259 parser: it never throws on bad input, limits nesting depth, and reports the first error
// with its position.
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AlbertGen.Configuration
{
    /// <summary>Parses JSON text into <see cref="JsonNode"/>s that keep their positions.</summary>
    internal sealed class JsonParser
    {
        /// <summary>Deepest nesting accepted; configs are two levels deep, hostile files can be thousands.</summary>
        public const int MaxDepth = 64;

        private readonly string _text;
        private int _offset;
        private int _line;
        private int _lineStart;

        private JsonParser(string text)
        {
            _text = text;
        }

        /// <summary>
        /// Parses a whole document. Returns <see langword="null"/> and sets <paramref name="error"/> (message and
        /// position) on the first syntax error.
        /// </summary>
        public static JsonNode? Parse(string text, out string? error, out TextPosition errorPosition)
        {
            var parser = new JsonParser(text ?? string.Empty);
            error = null;
            errorPosition = default;
            try
            {
                parser.SkipWhitespace();
                JsonNode value = parser.ParseValue(0);
                parser.SkipWhitespace();
                if (parser._offset < parser._text.Length)
                {
                    throw parser.Error("unexpected text after the end of the JSON value");
                }

                return value;
            }
            catch (JsonSyntaxError e)
            {
                error = e.Message;
                errorPosition = e.Position;
                return null;
            }
        }

        private JsonNode ParseValue(int depth)
        {
            if (depth > MaxDepth)
            {
                throw Error("nesting is deeper than " + MaxDepth + " levels");
            }

            if (_offset >= _text.Length)
            {
                throw Error("unexpected end of file; a value was expected");
            }

            char c = _text[_offset];
            switch (c)
            {
                case '{': return ParseObject(depth);
                case '[': return ParseArray(depth);
                case '"': return ParseString();
                case 't': return ParseLiteral("true", JsonKind.Boolean, true);
                case 'f': return ParseLiteral("false", JsonKind.Boolean, false);
                case 'n': return ParseLiteral("null", JsonKind.Null, false);
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        return ParseNumber();
                    }

                    throw Error("unexpected character '" + Printable(c) + "'; a value was expected");
            }
        }

        private JsonNode ParseObject(int depth)
        {
            int start = _offset, line = _line, column = _offset - _lineStart;
            _offset++;
            var members = new List<KeyValuePair<JsonNode, JsonNode>>();
            SkipWhitespace();
            if (Peek() == '}')
            {
                _offset++;
                return new JsonNode(JsonKind.Object, PositionFrom(start, line, column), null, false, members, null);
            }

            while (true)
            {
                SkipWhitespace();
                if (Peek() != '"')
                {
                    throw Error(_offset >= _text.Length ? "unexpected end of file inside an object" : "a property name in double quotes was expected");
                }

                JsonNode key = ParseString();
                SkipWhitespace();
                Expect(':', "':' was expected after the property name");
                SkipWhitespace();
                JsonNode value = ParseValue(depth + 1);
                members.Add(new KeyValuePair<JsonNode, JsonNode>(key, value));
                SkipWhitespace();
                char c = Peek();
                if (c == ',')
                {
                    _offset++;
                    continue;
                }

                if (c == '}')
                {
                    _offset++;
                    return new JsonNode(JsonKind.Object, PositionFrom(start, line, column), null, false, members, null);
                }

                throw Error(_offset >= _text.Length ? "unexpected end of file inside an object" : "',' or '}' was expected");
            }
        }

        private JsonNode ParseArray(int depth)
        {
            int start = _offset, line = _line, column = _offset - _lineStart;
            _offset++;
            var items = new List<JsonNode>();
            SkipWhitespace();
            if (Peek() == ']')
            {
                _offset++;
                return new JsonNode(JsonKind.Array, PositionFrom(start, line, column), null, false, null, items);
            }

            while (true)
            {
                SkipWhitespace();
                items.Add(ParseValue(depth + 1));
                SkipWhitespace();
                char c = Peek();
                if (c == ',')
                {
                    _offset++;
                    continue;
                }

                if (c == ']')
                {
                    _offset++;
                    return new JsonNode(JsonKind.Array, PositionFrom(start, line, column), null, false, null, items);
                }

                throw Error(_offset >= _text.Length ? "unexpected end of file inside an array" : "',' or ']' was expected");
            }
        }

        private JsonNode ParseString()
        {
            int start = _offset, line = _line, column = _offset - _lineStart;
            _offset++;
            var builder = new StringBuilder();
            while (true)
            {
                if (_offset >= _text.Length)
                {
                    throw Error("unterminated string");
                }

                char c = _text[_offset];
                if (c == '"')
                {
                    _offset++;
                    return new JsonNode(JsonKind.String, PositionFrom(start, line, column), builder.ToString(), false, null, null);
                }

                if (c < ' ')
                {
                    throw Error(c == '\n' ? "unterminated string (a line break inside a string must be written \\n)" : "control character inside a string");
                }

                if (c != '\\')
                {
                    builder.Append(c);
                    _offset++;
                    continue;
                }

                _offset++;
                if (_offset >= _text.Length)
                {
                    throw Error("unterminated string");
                }

                char escape = _text[_offset++];
                switch (escape)
                {
                    case '"': builder.Append('"'); break;
                    case '\\': builder.Append('\\'); break;
                    case '/': builder.Append('/'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case 'n': builder.Append('\n'); break;
                    case 'r': builder.Append('\r'); break;
                    case 't': builder.Append('\t'); break;
                    case 'u':
                        if (_offset + 4 > _text.Length
                            || !int.TryParse(_text.Substring(_offset, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                        {
                            _offset--;
                            throw Error("\\u must be followed by four hexadecimal digits");
                        }

                        builder.Append((char)code);
                        _offset += 4;
                        break;
                    default:
                        _offset--;
                        throw Error("invalid escape '\\" + Printable(escape) + "'");
                }
            }
        }

        private JsonNode ParseNumber()
        {
            int start = _offset, line = _line, column = _offset - _lineStart;
            if (Peek() == '-') _offset++;
            if (Peek() == '0')
            {
                _offset++;
            }
            else if (IsDigit(Peek()))
            {
                while (IsDigit(Peek())) _offset++;
            }
            else
            {
                throw Error("a digit was expected in the number");
            }

            if (Peek() == '.')
            {
                _offset++;
                if (!IsDigit(Peek())) throw Error("a digit was expected after the decimal point");
                while (IsDigit(Peek())) _offset++;
            }

            if (Peek() == 'e' || Peek() == 'E')
            {
                _offset++;
                if (Peek() == '+' || Peek() == '-') _offset++;
                if (!IsDigit(Peek())) throw Error("a digit was expected in the exponent");
                while (IsDigit(Peek())) _offset++;
            }

            string literal = _text.Substring(start, _offset - start);
            return new JsonNode(JsonKind.Number, PositionFrom(start, line, column), literal, false, null, null);
        }

        private JsonNode ParseLiteral(string word, JsonKind kind, bool value)
        {
            int start = _offset, line = _line, column = _offset - _lineStart;
            if (string.CompareOrdinal(_text, _offset, word, 0, word.Length) != 0)
            {
                throw Error("unexpected text; a value was expected (true, false, null, a number, a string, an object or an array)");
            }

            _offset += word.Length;
            return new JsonNode(kind, PositionFrom(start, line, column), null, value, null, null);
        }

        private void SkipWhitespace()
        {
            while (_offset < _text.Length)
            {
                char c = _text[_offset];
                if (c == '\n')
                {
                    _offset++;
                    _line++;
                    _lineStart = _offset;
                }
                else if (c == ' ' || c == '\t' || c == '\r' || (c == '\uFEFF' && _offset == 0))
                {
                    _offset++;
                }
                else
                {
                    break;
                }
            }
        }

        private void Expect(char c, string message)
        {
            if (Peek() != c) throw Error(message);
            _offset++;
        }

        private char Peek() => _offset < _text.Length ? _text[_offset] : '\0';

        private static bool IsDigit(char c) => c >= '0' && c <= '9';

        private static string Printable(char c) => c < ' ' || c > '~' ? "\\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) : c.ToString();

        // Strings and numbers never span lines (line breaks are rejected inside strings), objects and arrays do:
        // the end position is the parser's current position.
        private TextPosition PositionFrom(int start, int line, int column) =>
            new TextPosition(start, _offset - start, line, column, _line, _offset - _lineStart);

        private JsonSyntaxError Error(string message)
        {
            int offset = System.Math.Min(_offset, _text.Length);
            int length = offset < _text.Length ? 1 : 0;
            int column = offset - _lineStart;
            return new JsonSyntaxError(message, new TextPosition(offset, length, _line, column, _line, column + length));
        }

        private sealed class JsonSyntaxError : System.Exception
        {
            public JsonSyntaxError(string message, TextPosition position)
                : base(message)
            {
                Position = position;
            }

            public TextPosition Position { get; }
        }
    }
}
