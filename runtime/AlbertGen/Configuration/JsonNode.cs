// Shared source: compiled into the runtime and into the source generator.
using System.Collections.Generic;

namespace AlbertGen.Configuration
{
    /// <summary>The kinds of JSON value.</summary>
    internal enum JsonKind
    {
        /// <summary>An object.</summary>
        Object,
        /// <summary>An array.</summary>
        Array,
        /// <summary>A string.</summary>
        String,
        /// <summary>A number.</summary>
        Number,
        /// <summary><c>true</c> or <c>false</c>.</summary>
        Boolean,
        /// <summary><c>null</c>.</summary>
        Null,
    }

    /// <summary>Where something is in a text file: a character range and its line/column (all zero-based).</summary>
#if ALBERTGEN_GENERATOR
    internal
#else
    public
#endif
    readonly struct TextPosition : System.IEquatable<TextPosition>
    {
        /// <summary>Creates a position.</summary>
        public TextPosition(int start, int length, int line, int column, int endLine, int endColumn)
        {
            Start = start;
            Length = length;
            Line = line;
            Column = column;
            EndLine = endLine;
            EndColumn = endColumn;
        }

        /// <summary>Offset of the first character.</summary>
        public int Start { get; }

        /// <summary>Number of characters.</summary>
        public int Length { get; }

        /// <summary>Zero-based line of the first character.</summary>
        public int Line { get; }

        /// <summary>Zero-based column of the first character.</summary>
        public int Column { get; }

        /// <summary>Zero-based line after the last character.</summary>
        public int EndLine { get; }

        /// <summary>Zero-based column after the last character.</summary>
        public int EndColumn { get; }

        /// <inheritdoc />
        public bool Equals(TextPosition other) =>
            Start == other.Start && Length == other.Length && Line == other.Line && Column == other.Column
            && EndLine == other.EndLine && EndColumn == other.EndColumn;

        /// <inheritdoc />
        public override bool Equals(object? obj) => obj is TextPosition other && Equals(other);

        /// <inheritdoc />
        public override int GetHashCode() => (Start * 397) ^ Length;

        /// <summary>One-based "line:column", as editors show it.</summary>
        public override string ToString() => (Line + 1) + ":" + (Column + 1);
    }

    /// <summary>
    /// A parsed JSON value that remembers where it was in the text, so problems can point at the exact spot.
    /// </summary>
    internal sealed class JsonNode
    {
        internal JsonNode(JsonKind kind, TextPosition position, string? text, bool boolean,
            IReadOnlyList<KeyValuePair<JsonNode, JsonNode>>? members, IReadOnlyList<JsonNode>? items)
        {
            Kind = kind;
            Position = position;
            Text = text;
            Boolean = boolean;
            Members = members ?? new KeyValuePair<JsonNode, JsonNode>[0];
            Items = items ?? new JsonNode[0];
        }

        /// <summary>The kind of value.</summary>
        public JsonKind Kind { get; }

        /// <summary>Where the value is in the text.</summary>
        public TextPosition Position { get; }

        /// <summary>A string's decoded value, or a number's literal text.</summary>
        public string? Text { get; }

        /// <summary>A boolean's value.</summary>
        public bool Boolean { get; }

        /// <summary>An object's members in file order (key nodes are strings).</summary>
        public IReadOnlyList<KeyValuePair<JsonNode, JsonNode>> Members { get; }

        /// <summary>An array's items.</summary>
        public IReadOnlyList<JsonNode> Items { get; }

        /// <summary>How this kind is named in messages.</summary>
        public string KindName => Kind switch
        {
            JsonKind.Object => "an object",
            JsonKind.Array => "an array",
            JsonKind.String => "a string",
            JsonKind.Number => "a number",
            JsonKind.Boolean => "a boolean",
            _ => "null",
        };
    }
}
