// Shared source: compiled into the runtime and into the source generator.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace AlbertGen.Configuration
{
    /// <summary>
    /// Reads the top-level fields of one <c>config.json</c> for <see cref="AlbertConfigReader"/>: typed values, the
    /// problems found on the way, and which keys some field understood (the others are reported as unknown).
    /// </summary>
    internal sealed class ConfigFieldReader
    {
        private readonly Dictionary<string, JsonNode> _fields;
        private readonly List<ConfigProblem> _problems;

        public ConfigFieldReader(Dictionary<string, JsonNode> fields, List<ConfigProblem> problems)
        {
            _fields = fields;
            _problems = problems;
        }

        /// <summary>The keys some field has asked for.</summary>
        public HashSet<string> Known { get; } = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>Records a problem about <paramref name="field"/>, at <paramref name="at"/> or else at the field's value.</summary>
        public void Problem(string id, string field, bool isError, string message, TextPosition? at = null)
        {
            TextPosition position = at ?? (_fields.TryGetValue(field, out JsonNode? node) ? node.Position : default);
            _problems.Add(new ConfigProblem(id, isError, message, field, position));
        }

        /// <summary>The field's node, or null when it is absent or JSON null (both mean "use the default").</summary>
        public JsonNode? Get(string field)
        {
            Known.Add(field);
            return _fields.TryGetValue(field, out JsonNode? node) && node.Kind != JsonKind.Null ? node : null;
        }

        public string? String(string field)
        {
            JsonNode? node = Get(field);
            if (node is null) return null;
            if (node.Kind == JsonKind.String) return node.Text;
            Problem(ConfigProblemIds.WrongType, field, true, field + " must be a string, but it is " + node.KindName + ".");
            return null;
        }

        public JsonNode? Object(string field)
        {
            JsonNode? node = Get(field);
            if (node is null) return null;
            if (node.Kind == JsonKind.Object) return node;
            Problem(ConfigProblemIds.WrongType, field, true, field + " must be an object, but it is " + node.KindName + ".");
            return null;
        }

        public IReadOnlyList<string>? StringList(string field)
        {
            JsonNode? node = Get(field);
            if (node is null) return null;
            if (node.Kind == JsonKind.Array)
            {
                var items = new List<string>();
                foreach (JsonNode item in node.Items)
                {
                    if (item.Kind != JsonKind.String)
                    {
                        Problem(ConfigProblemIds.WrongType, field, true, field + " must be an array of strings, but an item is " + item.KindName + ".", item.Position);
                        return null;
                    }

                    items.Add(item.Text ?? string.Empty);
                }

                return items;
            }

            Problem(ConfigProblemIds.WrongType, field, true, field + " must be an array of strings, but it is " + node.KindName + ".");
            return null;
        }

        public int? Integer(string field)
        {
            JsonNode? node = Get(field);
            if (node is null) return null;
            if (node.Kind == JsonKind.Number && int.TryParse(node.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            {
                return value;
            }

            string found = node.Kind == JsonKind.Number ? node.Text + " (not a whole number in the 32-bit range)" : node.KindName;
            Problem(ConfigProblemIds.WrongType, field, true, field + " must be an integer, but it is " + found + ".");
            return null;
        }

        public int? Size(string field)
        {
            int? value = Integer(field);
            if (value.HasValue && value.Value <= 0)
            {
                Problem(ConfigProblemIds.NonPositiveSize, field, true, field + " is " + value.Value + "; it must be a positive integer.");
                return null;
            }

            return value;
        }

        public double? Double(string field)
        {
            JsonNode? node = Get(field);
            if (node is null) return null;
            if (node.Kind == JsonKind.Number
                && double.TryParse(node.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                && !double.IsInfinity(value))
            {
                return value;
            }

            Problem(ConfigProblemIds.WrongType, field, true, field + " must be a finite number, but it is " + (node.Kind == JsonKind.Number ? node.Text : node.KindName) + ".");
            return null;
        }

        public double? Probability(string field)
        {
            double? value = Double(field);
            if (value.HasValue && (value.Value < 0 || value.Value > 1))
            {
                Problem(ConfigProblemIds.ValueOutOfRange, field, true, field + " is " + Format(value.Value) + "; a dropout probability must be between 0 and 1.");
                return null;
            }

            return value;
        }

        /// <summary>A double as the messages show it: round-trip, invariant culture.</summary>
        public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    }
}
