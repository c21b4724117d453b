// Shared source: compiled into the runtime and into the source generator.
using System.Collections.Generic;
using System.Globalization;

namespace AlbertGen.Configuration
{
    /// <summary><c>model_type</c>: not a value of the config but the format's name, always <c>albert</c>.</summary>
    internal sealed class ModelTypeField : ConfigField
    {
        public const string Albert = "albert";

        public ModelTypeField()
            : base("model_type", string.Empty, ConfigFieldRoles.None, "The model family, always <c>albert</c>")
        {
        }

        public override ConfigValueKind Kind => ConfigValueKind.Fixed;

        public override AlbertConfig Read(ConfigFieldReader reader, AlbertConfig config)
        {
            string? modelType = reader.String(JsonName);
            if (modelType != null && modelType != Albert)
            {
                reader.Problem(ConfigProblemIds.WrongModelType, JsonName, true,
                    "model_type is \"" + modelType + "\", but AlbertGen reads ALBERT models only; expected \"albert\".");
            }

            return config;
        }

        public override void Check(ConfigFieldReader reader, AlbertConfig config)
        {
        }

        public override IEnumerable<KeyValuePair<string, object>> ToJson(AlbertConfig config)
        {
            yield return new KeyValuePair<string, object>(JsonName, Albert);
        }

        public override object? Value(AlbertConfig config) => Albert;

        public override string Display(AlbertConfig config) => Albert;

        public override bool ValueEquals(AlbertConfig a, AlbertConfig b) => true;

        public override int ValueHash(AlbertConfig config) => 0;
    }

    /// <summary>
    /// The label vocabulary: <c>num_labels</c>, <c>id2label</c> and <c>label2id</c> read together (they must agree)
    /// into <see cref="AlbertConfig.NumLabels"/>, <see cref="AlbertConfig.Id2Label"/> and
    /// <see cref="AlbertConfig.HasExplicitLabels"/>.
    /// </summary>
    internal sealed class LabelsField : ConfigField
    {
        public LabelsField(ConfigFieldRoles roles, string doc)
            : base("num_labels", "NumLabels", roles, doc)
        {
        }

        public override IReadOnlyList<string> JsonNames => new[] { "num_labels", "id2label", "label2id" };

        public override ConfigValueKind Kind => ConfigValueKind.Labels;

        public override AlbertConfig Read(ConfigFieldReader reader, AlbertConfig config)
        {
            (IReadOnlyList<string> labels, bool isExplicit) = ReadLabels(reader);
            return config with { NumLabels = labels.Count, Id2Label = labels, HasExplicitLabels = isExplicit };
        }

        public override void Check(ConfigFieldReader reader, AlbertConfig config)
        {
        }

        /// <summary>HuggingFace writes <c>id2label</c> and <c>label2id</c> only when they differ from its <c>LABEL_i</c> defaults.</summary>
        public override IEnumerable<KeyValuePair<string, object>> ToJson(AlbertConfig config)
        {
            if (!config.HasExplicitLabels && config.NumLabels == 2)
            {
                yield break;
            }

            var id2label = new List<KeyValuePair<string, object>>();
            var label2id = new List<KeyValuePair<string, object>>();
            for (int i = 0; i < config.Id2Label.Count; i++)
            {
                id2label.Add(new KeyValuePair<string, object>(i.ToString(CultureInfo.InvariantCulture), config.Id2Label[i]));
                label2id.Add(new KeyValuePair<string, object>(config.Id2Label[i], i));
            }

            yield return new KeyValuePair<string, object>("id2label", id2label);
            yield return new KeyValuePair<string, object>("label2id", label2id);
        }

        public override object? Value(AlbertConfig config) => config.NumLabels;

        public override string Display(AlbertConfig config) => config.NumLabels.ToString(CultureInfo.InvariantCulture);

        public override bool ValueEquals(AlbertConfig a, AlbertConfig b)
        {
            if (a.NumLabels != b.NumLabels || a.HasExplicitLabels != b.HasExplicitLabels || a.Id2Label.Count != b.Id2Label.Count)
            {
                return false;
            }

            if (a.Id2Label is DefaultLabelNames && b.Id2Label is DefaultLabelNames)
            {
                return true; // equal counts: equal names, without enumerating up to two billion of them
            }

            for (int i = 0; i < a.Id2Label.Count; i++)
            {
                if (a.Id2Label[i] != b.Id2Label[i])
                {
                    return false;
                }
            }

            return true;
        }

        public override int ValueHash(AlbertConfig config) => config.NumLabels;

        private static (IReadOnlyList<string> Labels, bool Explicit) ReadLabels(ConfigFieldReader reader)
        {
            int? numLabels = reader.Size("num_labels");
            JsonNode? id2label = reader.Object("id2label");
            JsonNode? label2id = reader.Object("label2id");
            string[]? names = null;
            if (id2label != null)
            {
                names = new string[id2label.Members.Count];
                foreach (KeyValuePair<JsonNode, JsonNode> member in id2label.Members)
                {
                    string key = member.Key.Text ?? string.Empty;
                    if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= names.Length)
                    {
                        reader.Problem(ConfigProblemIds.InconsistentLabels, "id2label", true,
                            "id2label key \"" + key + "\" must be a label id from 0 to " + (names.Length - 1) + " (ids are consecutive, starting at 0).", member.Key.Position);
                        return (Defaults(2), false);
                    }

                    if (member.Value.Kind != JsonKind.String)
                    {
                        reader.Problem(ConfigProblemIds.WrongType, "id2label", true,
                            "id2label[\"" + key + "\"] must be a string label name, but it is " + member.Value.KindName + ".", member.Value.Position);
                        return (Defaults(2), false);
                    }

                    names[id] = member.Value.Text ?? string.Empty;
                }

                for (int i = 0; i < names.Length; i++)
                {
                    if (names[i] is null)
                    {
                        reader.Problem(ConfigProblemIds.InconsistentLabels, "id2label", true,
                            "id2label has no entry for label id " + i + "; ids must run from 0 to " + (names.Length - 1) + " without gaps.");
                        return (Defaults(2), false);
                    }
                }

                if (names.Length == 0)
                {
                    reader.Problem(ConfigProblemIds.InconsistentLabels, "id2label", true, "id2label is empty; give at least one label or remove the field.");
                    return (Defaults(2), false);
                }

                if (numLabels.HasValue && numLabels.Value != names.Length)
                {
                    reader.Problem(ConfigProblemIds.InconsistentLabels, "num_labels", true,
                        "num_labels is " + numLabels.Value + " but id2label names " + names.Length + " label(s); make them agree (or remove num_labels).");
                }
            }

            if (label2id != null && names != null)
            {
                foreach (KeyValuePair<JsonNode, JsonNode> member in label2id.Members)
                {
                    string name = member.Key.Text ?? string.Empty;
                    bool agrees = member.Value.Kind == JsonKind.Number
                        && int.TryParse(member.Value.Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int id)
                        && id >= 0 && id < names.Length && names[id] == name;
                    if (!agrees)
                    {
                        reader.Problem(ConfigProblemIds.InconsistentLabels, "label2id", false,
                            "label2id[\"" + name + "\"] does not match id2label; id2label is used. Make label2id its inverse.", member.Value.Position);
                        break;
                    }
                }
            }

            if (names != null)
            {
                return (names, true);
            }

            return (Defaults(numLabels ?? 2), false);
        }

        private static IReadOnlyList<string> Defaults(int count) => new DefaultLabelNames(count);
    }
}
