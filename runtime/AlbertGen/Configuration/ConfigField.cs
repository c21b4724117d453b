// Shared source: compiled into the runtime and into the source generator.
using System;
using System.Collections.Generic;

namespace AlbertGen.Configuration
{
    /// <summary>What else a config field is, besides a value read from and written to <c>config.json</c>.</summary>
    [Flags]
    internal enum ConfigFieldRoles
    {
        /// <summary>Only a value.</summary>
        None = 0,
        /// <summary>A <c>const</c> of every typed model the generator writes.</summary>
        Constant = 1,
        /// <summary>Fixes the model's shapes or arithmetic: a typed model refuses a checkpoint whose config differs here.</summary>
        Shape = 2,
        /// <summary>Fixes the classification heads' shapes: compared for typed models with a label head.</summary>
        LabelShape = 4,
    }

    /// <summary>A failed check of a config value: its problem id, severity and message.</summary>
    internal sealed class ConfigCheck
    {
        private ConfigCheck(string id, bool isError, string message)
        {
            Id = id;
            IsError = isError;
            Message = message;
        }

        public string Id { get; }

        public bool IsError { get; }

        public string Message { get; }

        public static ConfigCheck Error(string id, string message) => new ConfigCheck(id, true, message);

        public static ConfigCheck Warning(string id, string message) => new ConfigCheck(id, false, message);
    }

    /// <summary>
    /// One row of <see cref="AlbertConfigSchema"/>: a <c>config.json</c> field, the <see cref="AlbertConfig"/>
    /// property that holds it, and everything the reader, writer, generator and comparisons need to know about it.
    /// </summary>
    internal abstract class ConfigField
    {
        protected ConfigField(string jsonName, string propertyName, ConfigFieldRoles roles, string doc)
        {
            JsonName = jsonName;
            PropertyName = propertyName;
            Roles = roles;
            Doc = doc;
        }

        /// <summary>The field's key in <c>config.json</c>.</summary>
        public string JsonName { get; }

        /// <summary>The <see cref="AlbertConfig"/> property (and the generated constant) that holds the value.</summary>
        public string PropertyName { get; }

        /// <summary>The roles beyond being a value.</summary>
        public ConfigFieldRoles Roles { get; }

        /// <summary>What the value means, as a sentence fragment for generated documentation ("Size of the token vocabulary, V").</summary>
        public string Doc { get; }

        /// <summary>Every key of <c>config.json</c> the field reads (usually just <see cref="JsonName"/>).</summary>
        public virtual IReadOnlyList<string> JsonNames => new[] { JsonName };

        public abstract ConfigValueKind Kind { get; }

        public bool Is(ConfigFieldRoles role) => (Roles & role) != 0;

        /// <summary>Reads the field into <paramref name="config"/>; absent or invalid values keep the default (invalid ones are reported).</summary>
        public abstract AlbertConfig Read(ConfigFieldReader reader, AlbertConfig config);

        /// <summary>Checks the value against the whole config once every field is read.</summary>
        public abstract void Check(ConfigFieldReader reader, AlbertConfig config);

        /// <summary>The <c>config.json</c> entries of the value: keys with <c>int</c>, <c>double</c>, <c>string</c>, string-list or key/value-list values.</summary>
        public abstract IEnumerable<KeyValuePair<string, object>> ToJson(AlbertConfig config);

        /// <summary>The value itself, boxed (null for an absent optional value).</summary>
        public abstract object? Value(AlbertConfig config);

        /// <summary>The value as messages show it (<c>768</c>, <c>gelu_new</c>).</summary>
        public abstract string Display(AlbertConfig config);

        public abstract bool ValueEquals(AlbertConfig a, AlbertConfig b);

        public abstract int ValueHash(AlbertConfig config);
    }

    /// <summary>A field holding one value of type <typeparamref name="T"/>.</summary>
    internal sealed class ConfigField<T> : ConfigField
    {
        private readonly ConfigValueType<T> _type;
        private readonly Func<AlbertConfig, T> _get;
        private readonly Func<AlbertConfig, T, AlbertConfig> _with;
        private readonly Func<T, AlbertConfig, ConfigCheck?>? _check;

        public ConfigField(string jsonName, string propertyName, ConfigValueType<T> type, Func<AlbertConfig, T> get,
            Func<AlbertConfig, T, AlbertConfig> with, ConfigFieldRoles roles, string doc, Func<T, AlbertConfig, ConfigCheck?>? check)
            : base(jsonName, propertyName, roles, doc)
        {
            _type = type;
            _get = get;
            _with = with;
            _check = check;
        }

        public override ConfigValueKind Kind => _type.Kind;

        public override AlbertConfig Read(ConfigFieldReader reader, AlbertConfig config) =>
            _type.Read(reader, JsonName) is { } read ? _with(config, read.Value) : config;

        public override void Check(ConfigFieldReader reader, AlbertConfig config)
        {
            if (_check?.Invoke(_get(config), config) is { } failed)
            {
                reader.Problem(failed.Id, JsonName, failed.IsError, failed.Message);
            }
        }

        public override IEnumerable<KeyValuePair<string, object>> ToJson(AlbertConfig config)
        {
            if (_type.ToJson(_get(config)) is { } json)
            {
                yield return new KeyValuePair<string, object>(JsonName, json);
            }
        }

        public override object? Value(AlbertConfig config) => _get(config);

        public override string Display(AlbertConfig config) => _type.Display(_get(config));

        public override bool ValueEquals(AlbertConfig a, AlbertConfig b) => _type.ValueEquals(_get(a), _get(b));

        public override int ValueHash(AlbertConfig config) => _type.Hash(_get(config));
    }
}
