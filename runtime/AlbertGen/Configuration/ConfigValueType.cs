// Shared source: compiled into the runtime and into the source generator.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace AlbertGen.Configuration
{
    /// <summary>What kind of C# value a config field holds; the generator and the writers format by it.</summary>
    internal enum ConfigValueKind
    {
        /// <summary>An <c>int</c>.</summary>
        Integer,
        /// <summary>A <c>double</c>.</summary>
        Number,
        /// <summary>A member of an enum (an <c>AlbertGen</c> enum of the same name in the runtime).</summary>
        Enum,
        /// <summary>A list of strings.</summary>
        StringList,
        /// <summary>The label vocabulary (<c>num_labels</c>, <c>id2label</c>, <c>label2id</c>).</summary>
        Labels,
        /// <summary>A constant of the format (<c>model_type</c>), not a value of the config.</summary>
        Fixed,
    }

    /// <summary>
    /// How one JSON type of config value is read (with HuggingFace's rules and ALBG problems), written, shown and
    /// compared. Reading returns <see langword="null"/> when the field is absent, JSON null or invalid (the problem is
    /// then recorded), so the field keeps its default.
    /// </summary>
    internal abstract class ConfigValueType<T>
    {
        public abstract ConfigValueKind Kind { get; }

        public abstract Box? Read(ConfigFieldReader reader, string field);

        /// <summary>The JSON value: an <c>int</c>, <c>double</c>, <c>string</c> or list of strings; null = not written.</summary>
        public virtual object? ToJson(T value) => value;

        /// <summary>The value as messages show it.</summary>
        public virtual string Display(T value) => Convert.ToString(ToJson(value), CultureInfo.InvariantCulture) ?? "null";

        public virtual bool ValueEquals(T a, T b) => EqualityComparer<T>.Default.Equals(a, b);

        public virtual int Hash(T value) => value is null ? 0 : EqualityComparer<T>.Default.GetHashCode(value);

        /// <summary>A read value (a class, so that "nothing read" is null for value and reference types alike).</summary>
        public sealed class Box
        {
            public Box(T value)
            {
                Value = value;
            }

            public T Value { get; }
        }
    }

    /// <summary>The value types of <see cref="AlbertConfigSchema"/>.</summary>
    internal static class ConfigTypes
    {
        /// <summary>A positive integer (ALBG005 otherwise).</summary>
        public static readonly ConfigValueType<int> Size = new ScalarType<int>(ConfigValueKind.Integer, (r, f) => r.Size(f));

        /// <summary>Any 32-bit integer.</summary>
        public static readonly ConfigValueType<int> Integer = new ScalarType<int>(ConfigValueKind.Integer, (r, f) => r.Integer(f));

        /// <summary>A finite number.</summary>
        public static readonly ConfigValueType<double> Number = new ScalarType<double>(ConfigValueKind.Number, (r, f) => r.Double(f), ConfigFieldReader.Format);

        /// <summary>A dropout probability in [0, 1] (ALBG013 otherwise).</summary>
        public static readonly ConfigValueType<double> Probability = new ScalarType<double>(ConfigValueKind.Number, (r, f) => r.Probability(f), ConfigFieldReader.Format);

        /// <summary>An array of strings.</summary>
        public static readonly ConfigValueType<IReadOnlyList<string>> StringList = new StringListType();

        /// <summary><c>hidden_act</c>'s names; the first name of a value is the one written.</summary>
        public static readonly NamedEnumType<AlbertActivation> Activation = new NamedEnumType<AlbertActivation>(
            ConfigProblemIds.UnsupportedActivation,
            new[]
            {
                ("gelu", AlbertActivation.Gelu), ("gelu_new", AlbertActivation.GeluNew), ("gelu_fast", AlbertActivation.GeluFast),
                ("quick_gelu", AlbertActivation.QuickGelu), ("relu", AlbertActivation.Relu), ("silu", AlbertActivation.Silu),
                ("swish", AlbertActivation.Silu),
            },
            (field, name, names) => field + " \"" + name + "\" is not supported; use one of " + string.Join(", ", names) + ".");

        /// <summary><c>position_embedding_type</c>'s names.</summary>
        public static readonly NamedEnumType<PositionEmbeddingType> PositionEmbedding = new NamedEnumType<PositionEmbeddingType>(
            ConfigProblemIds.UnsupportedPositionEmbedding,
            new[]
            {
                ("absolute", PositionEmbeddingType.Absolute), ("relative_key", PositionEmbeddingType.RelativeKey),
                ("relative_key_query", PositionEmbeddingType.RelativeKeyQuery),
            },
            (field, name, names) => field + " \"" + name + "\" is not supported; use absolute, relative_key or relative_key_query.");

        /// <summary><c>problem_type</c>'s names; null (absent) means "inferred from the labels".</summary>
        public static readonly OptionalType<ProblemType> Problem = new OptionalType<ProblemType>(new NamedEnumType<ProblemType>(
            ConfigProblemIds.UnsupportedProblemType,
            new[]
            {
                ("regression", ProblemType.Regression), ("single_label_classification", ProblemType.SingleLabelClassification),
                ("multi_label_classification", ProblemType.MultiLabelClassification),
            },
            (field, name, names) => field + " \"" + name + "\" is not one of " + string.Join(", ", names) + " (or null to infer it)."));

        /// <summary>A number read by one of <see cref="ConfigFieldReader"/>'s typed readers.</summary>
        private sealed class ScalarType<T> : ConfigValueType<T>
            where T : struct
        {
            private readonly Func<ConfigFieldReader, string, T?> _read;
            private readonly Func<T, string>? _display;

            public ScalarType(ConfigValueKind kind, Func<ConfigFieldReader, string, T?> read, Func<T, string>? display = null)
            {
                Kind = kind;
                _read = read;
                _display = display;
            }

            public override ConfigValueKind Kind { get; }

            public override Box? Read(ConfigFieldReader reader, string field) =>
                _read(reader, field) is { } value ? new Box(value) : null;

            public override string Display(T value) => _display?.Invoke(value) ?? base.Display(value);
        }

        private sealed class StringListType : ConfigValueType<IReadOnlyList<string>>
        {
            public override ConfigValueKind Kind => ConfigValueKind.StringList;

            public override Box? Read(ConfigFieldReader reader, string field) =>
                reader.StringList(field) is { } items ? new Box(items) : null;

            public override string Display(IReadOnlyList<string> value) => "[" + string.Join(", ", value) + "]";

            public override bool ValueEquals(IReadOnlyList<string> a, IReadOnlyList<string> b)
            {
                if (a.Count != b.Count)
                {
                    return false;
                }

                for (int i = 0; i < a.Count; i++)
                {
                    if (!string.Equals(a[i], b[i], StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return true;
            }

            public override int Hash(IReadOnlyList<string> value) => value.Count;
        }
    }

    /// <summary>An enum written in JSON as one of a fixed set of names.</summary>
    internal sealed class NamedEnumType<T> : ConfigValueType<T>
        where T : struct
    {
        private readonly string _unsupportedId;
        private readonly (string Name, T Value)[] _names;
        private readonly Func<string, string, IReadOnlyList<string>, string> _unsupported;

        /// <param name="unsupportedId">The problem id of a name not in <paramref name="names"/>.</param>
        /// <param name="names">Every accepted name; the first name of each value is the one written.</param>
        /// <param name="unsupported">The message for an unknown name: (field, name, accepted names).</param>
        public NamedEnumType(string unsupportedId, (string Name, T Value)[] names, Func<string, string, IReadOnlyList<string>, string> unsupported)
        {
            _unsupportedId = unsupportedId;
            _names = names;
            _unsupported = unsupported;
        }

        public override ConfigValueKind Kind => ConfigValueKind.Enum;

        /// <summary>Every accepted name, aliases included.</summary>
        public IReadOnlyList<string> Names
        {
            get
            {
                var names = new List<string>();
                foreach ((string name, T _) in _names)
                {
                    names.Add(name);
                }

                return names;
            }
        }

        /// <summary>The name written for <paramref name="value"/>.</summary>
        public string NameOf(T value)
        {
            foreach ((string name, T v) in _names)
            {
                if (EqualityComparer<T>.Default.Equals(v, value))
                {
                    return name;
                }
            }

            throw new ArgumentOutOfRangeException(nameof(value), value, "Not a value with a JSON name.");
        }

        public override Box? Read(ConfigFieldReader reader, string field)
        {
            string? name = reader.String(field);
            if (name is null)
            {
                return null;
            }

            foreach ((string n, T value) in _names)
            {
                if (n == name)
                {
                    return new Box(value);
                }
            }

            reader.Problem(_unsupportedId, field, true, _unsupported(field, name, Names));
            return null;
        }

        public override object? ToJson(T value) => NameOf(value);
    }

    /// <summary>A value that may be absent (JSON null or missing): not written then.</summary>
    internal sealed class OptionalType<T> : ConfigValueType<T?>
        where T : struct
    {
        public OptionalType(NamedEnumType<T> inner)
        {
            Inner = inner;
        }

        public NamedEnumType<T> Inner { get; }

        public override ConfigValueKind Kind => Inner.Kind;

        public override Box? Read(ConfigFieldReader reader, string field) =>
            Inner.Read(reader, field) is { } read ? new Box(read.Value) : null;

        public override object? ToJson(T? value) => value.HasValue ? Inner.ToJson(value.Value) : null;
    }
}
