// Shared source: compiled into the runtime and into the source generator. Everything here is pure: it never
// touches the file system and never throws on bad input (see AlbertConfigReader.Files.cs for file reading).
using System;
using System.Collections.Generic;
using System.Globalization;
using AlbertGen.Configuration;

namespace AlbertGen
{
    /// <summary>
    /// Reads and validates HuggingFace ALBERT <c>config.json</c> files by HuggingFace's rules: missing fields take
    /// <c>AlbertConfig</c>'s defaults, keys HuggingFace carries but ALBERT ignores are accepted, and every value
    /// the runtime could not execute is reported as a <see cref="ConfigProblem"/> with a stable id.
    /// </summary>
#if ALBERTGEN_GENERATOR
    internal
#else
    public
#endif
    static partial class AlbertConfigReader
    {
        /// <summary>Keys that hub ALBERT configs and HuggingFace's <c>PretrainedConfig</c> carry and ALBERT ignores.</summary>
        private static readonly HashSet<string> IgnoredKeys = new HashSet<string>(StringComparer.Ordinal)
        {
            // From the original TensorFlow ALBERT configs.
            "down_scale_factor", "gap_size", "net_structure_type", "num_memory_blocks", "layers_to_keep",
            // PretrainedConfig bookkeeping and generation settings.
            "transformers_version", "_name_or_path", "_commit_hash", "torch_dtype", "dtype", "return_dict",
            "output_hidden_states", "output_attentions", "torchscript", "use_bfloat16", "tie_word_embeddings",
            "is_decoder", "is_encoder_decoder", "add_cross_attention", "tie_encoder_decoder",
            "cross_attention_hidden_size", "chunk_size_feed_forward", "pruned_heads", "tokenizer_class", "prefix",
            "sep_token_id", "decoder_start_token_id", "task_specific_params", "finetuning_task", "max_length",
            "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups", "diversity_penalty",
            "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty",
            "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences",
            "output_scores", "return_dict_in_generate", "forced_bos_token_id", "forced_eos_token_id",
            "remove_invalid_values", "exponential_decay_length_penalty", "suppress_tokens",
            "begin_suppress_tokens", "use_cache", "gradient_checkpointing", "_attn_implementation",
            "_attn_implementation_autoset", "attn_implementation", "classifier_dropout", "output_past",
            "xla_device", "label_smoothing", "layer_norm_type",
        };

        private static readonly Dictionary<string, AlbertActivation> Activations = new Dictionary<string, AlbertActivation>(StringComparer.Ordinal)
        {
            ["gelu"] = AlbertActivation.Gelu,
            ["gelu_new"] = AlbertActivation.GeluNew,
            ["gelu_fast"] = AlbertActivation.GeluFast,
            ["quick_gelu"] = AlbertActivation.QuickGelu,
            ["relu"] = AlbertActivation.Relu,
            ["silu"] = AlbertActivation.Silu,
            ["swish"] = AlbertActivation.Silu,
        };

        private static readonly Dictionary<string, PositionEmbeddingType> PositionTypes = new Dictionary<string, PositionEmbeddingType>(StringComparer.Ordinal)
        {
            ["absolute"] = PositionEmbeddingType.Absolute,
            ["relative_key"] = PositionEmbeddingType.RelativeKey,
            ["relative_key_query"] = PositionEmbeddingType.RelativeKeyQuery,
        };

        private static readonly Dictionary<string, ProblemType> ProblemTypes = new Dictionary<string, ProblemType>(StringComparer.Ordinal)
        {
            ["regression"] = AlbertGen.ProblemType.Regression,
            ["single_label_classification"] = AlbertGen.ProblemType.SingleLabelClassification,
            ["multi_label_classification"] = AlbertGen.ProblemType.MultiLabelClassification,
        };

        private static readonly Dictionary<string, AlbertHeads> HeadArchitectures = new Dictionary<string, AlbertHeads>(StringComparer.Ordinal)
        {
            ["AlbertModel"] = AlbertHeads.None,
            // A pre-training checkpoint carries the MLM head too.
            ["AlbertForPreTraining"] = AlbertHeads.PreTraining | AlbertHeads.MaskedLM,
            ["AlbertForMaskedLM"] = AlbertHeads.MaskedLM,
            ["AlbertForSequenceClassification"] = AlbertHeads.SequenceClassification,
            ["AlbertForTokenClassification"] = AlbertHeads.TokenClassification,
            ["AlbertForQuestionAnswering"] = AlbertHeads.QuestionAnswering,
            ["AlbertForMultipleChoice"] = AlbertHeads.MultipleChoice,
        };

        /// <summary>The <c>hidden_act</c> names the runtime implements.</summary>
        public static IReadOnlyCollection<string> SupportedActivations => Activations.Keys;

        /// <summary>The JSON name of an activation (the name HuggingFace writes).</summary>
        public static string ActivationName(AlbertActivation activation) => activation switch
        {
            AlbertActivation.Gelu => "gelu",
            AlbertActivation.GeluNew => "gelu_new",
            AlbertActivation.GeluFast => "gelu_fast",
            AlbertActivation.QuickGelu => "quick_gelu",
            AlbertActivation.Relu => "relu",
            _ => "silu",
        };

        /// <summary>The JSON name of a position embedding type.</summary>
        public static string PositionEmbeddingTypeName(PositionEmbeddingType type) => type switch
        {
            PositionEmbeddingType.RelativeKey => "relative_key",
            PositionEmbeddingType.RelativeKeyQuery => "relative_key_query",
            _ => "absolute",
        };

        /// <summary>The JSON name of a problem type.</summary>
        public static string ProblemTypeName(ProblemType type) => type switch
        {
            AlbertGen.ProblemType.Regression => "regression",
            AlbertGen.ProblemType.SingleLabelClassification => "single_label_classification",
            _ => "multi_label_classification",
        };

        /// <summary>The HuggingFace class name of a single head (<c>AlbertModel</c> for <see cref="AlbertHeads.None"/>).</summary>
        public static string ArchitectureName(AlbertHeads head) => head switch
        {
            AlbertHeads.PreTraining => "AlbertForPreTraining",
            AlbertHeads.MaskedLM => "AlbertForMaskedLM",
            AlbertHeads.SequenceClassification => "AlbertForSequenceClassification",
            AlbertHeads.TokenClassification => "AlbertForTokenClassification",
            AlbertHeads.QuestionAnswering => "AlbertForQuestionAnswering",
            AlbertHeads.MultipleChoice => "AlbertForMultipleChoice",
            _ => "AlbertModel",
        };

        /// <summary>
        /// The heads whose weights a checkpoint saved from these <c>architectures</c> contains. Names that are not
        /// ALBERT classes are ignored.
        /// </summary>
        public static AlbertHeads HeadsFromArchitectures(IReadOnlyList<string> architectures)
        {
            if (architectures == null)
            {
                throw new ArgumentNullException(nameof(architectures));
            }

            AlbertHeads heads = AlbertHeads.None;
            foreach (string name in architectures)
            {
                if (HeadArchitectures.TryGetValue(name, out AlbertHeads provided))
                {
                    heads |= provided;
                }
            }

            return heads;
        }

        /// <summary>
        /// Parses and validates a <c>config.json</c> text. Never throws: syntax errors and invalid values come back
        /// as problems, and <see cref="ConfigParseResult.Config"/> is <see langword="null"/> when any is an error.
        /// </summary>
        public static ConfigParseResult Parse(string json)
        {
            var problems = new List<ConfigProblem>();
            var positions = new Dictionary<string, TextPosition>(StringComparer.Ordinal);
            JsonNode? root = JsonParser.Parse(json, out string? syntaxError, out TextPosition errorPosition);
            if (root is null)
            {
                problems.Add(new ConfigProblem(ConfigProblemIds.InvalidJson, true,
                    "config.json is not valid JSON: " + syntaxError + " at line " + errorPosition + ".", null, errorPosition));
                return new ConfigParseResult(null, problems, positions);
            }

            if (root.Kind != JsonKind.Object)
            {
                problems.Add(new ConfigProblem(ConfigProblemIds.InvalidJson, true,
                    "config.json must be a JSON object of configuration fields, but its top level is " + root.KindName + ".", null, root.Position));
                return new ConfigParseResult(null, problems, positions);
            }

            var fields = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
            foreach (KeyValuePair<JsonNode, JsonNode> member in root.Members)
            {
                string key = member.Key.Text ?? string.Empty;
                if (fields.ContainsKey(key))
                {
                    problems.Add(new ConfigProblem(ConfigProblemIds.DuplicateKey, false,
                        "The key \"" + key + "\" appears more than once; the last value is used. Remove the duplicate.", key, member.Key.Position));
                }

                fields[key] = member.Value;
                positions[key] = member.Value.Position;
            }

            var reader = new FieldReader(fields, problems);
            string? modelType = reader.String("model_type");
            if (modelType != null && modelType != "albert")
            {
                reader.Problem(ConfigProblemIds.WrongModelType, "model_type", true,
                    "model_type is \"" + modelType + "\", but AlbertGen reads ALBERT models only; expected \"albert\".");
            }

            var defaults = new AlbertConfig();
            int vocabSize = reader.Size("vocab_size", defaults.VocabSize);
            int embeddingSize = reader.Size("embedding_size", defaults.EmbeddingSize);
            int hiddenSize = reader.Size("hidden_size", defaults.HiddenSize);
            int layers = reader.Size("num_hidden_layers", defaults.NumHiddenLayers);
            int groups = reader.Size("num_hidden_groups", defaults.NumHiddenGroups);
            int heads = reader.Size("num_attention_heads", defaults.NumAttentionHeads);
            int intermediateSize = reader.Size("intermediate_size", defaults.IntermediateSize);
            int innerGroupNum = reader.Size("inner_group_num", defaults.InnerGroupNum);
            int maxPositions = reader.Size("max_position_embeddings", defaults.MaxPositionEmbeddings);
            int typeVocabSize = reader.Size("type_vocab_size", defaults.TypeVocabSize);
            double hiddenDropout = reader.Probability("hidden_dropout_prob", defaults.HiddenDropoutProb);
            double attentionDropout = reader.Probability("attention_probs_dropout_prob", defaults.AttentionProbsDropoutProb);
            double classifierDropout = reader.Probability("classifier_dropout_prob", defaults.ClassifierDropoutProb);
            double initializerRange = reader.Double("initializer_range", defaults.InitializerRange);
            double layerNormEps = reader.Double("layer_norm_eps", defaults.LayerNormEps);
            int padTokenId = reader.Integer("pad_token_id", defaults.PadTokenId);
            int bosTokenId = reader.Integer("bos_token_id", defaults.BosTokenId);
            int eosTokenId = reader.Integer("eos_token_id", defaults.EosTokenId);

            if (heads > 0 && hiddenSize > 0 && hiddenSize % heads != 0)
            {
                reader.Problem(ConfigProblemIds.HeadsDoNotDivideHidden, "hidden_size", true,
                    "hidden_size (" + hiddenSize + ") must be a multiple of num_attention_heads (" + heads + ") so that every head has the same size; change one of them.");
            }

            if (layers > 0 && groups > 0 && layers % groups != 0)
            {
                reader.Problem(ConfigProblemIds.GroupsDoNotDivideLayers, "num_hidden_groups", true,
                    "num_hidden_layers (" + layers + ") must be a multiple of num_hidden_groups (" + groups + ") so that every group is shared by the same number of layer steps; change one of them.");
            }

            if (initializerRange < 0 || double.IsNaN(initializerRange))
            {
                reader.Problem(ConfigProblemIds.ValueOutOfRange, "initializer_range", true,
                    "initializer_range is " + Format(initializerRange) + "; it is a standard deviation and must be zero or positive.");
            }

            if (!(layerNormEps > 0) || double.IsInfinity(layerNormEps))
            {
                reader.Problem(ConfigProblemIds.ValueOutOfRange, "layer_norm_eps", true,
                    "layer_norm_eps is " + Format(layerNormEps) + "; it must be a small positive number such as 1e-12.");
            }

            if (vocabSize > 0 && (padTokenId < 0 || padTokenId >= vocabSize))
            {
                reader.Problem(ConfigProblemIds.ValueOutOfRange, "pad_token_id", true,
                    "pad_token_id is " + padTokenId + ", outside the vocabulary [0, " + vocabSize + "); the padding row of the word embeddings must exist.");
            }

            CheckSpecialTokenId(reader, "bos_token_id", bosTokenId, vocabSize);
            CheckSpecialTokenId(reader, "eos_token_id", eosTokenId, vocabSize);

            AlbertActivation activation = defaults.HiddenAct;
            string? act = reader.String("hidden_act");
            if (act != null && !Activations.TryGetValue(act, out activation))
            {
                reader.Problem(ConfigProblemIds.UnsupportedActivation, "hidden_act", true,
                    "hidden_act \"" + act + "\" is not supported; use one of gelu, gelu_new, gelu_fast, quick_gelu, relu, silu, swish.");
            }

            PositionEmbeddingType positionType = defaults.PositionEmbeddingType;
            string? position = reader.String("position_embedding_type");
            if (position != null && !PositionTypes.TryGetValue(position, out positionType))
            {
                reader.Problem(ConfigProblemIds.UnsupportedPositionEmbedding, "position_embedding_type", true,
                    "position_embedding_type \"" + position + "\" is not supported; use absolute, relative_key or relative_key_query.");
            }

            ProblemType? problemType = null;
            string? problem = reader.String("problem_type");
            if (problem != null)
            {
                if (ProblemTypes.TryGetValue(problem, out ProblemType parsed))
                {
                    problemType = parsed;
                }
                else
                {
                    reader.Problem(ConfigProblemIds.UnsupportedProblemType, "problem_type", true,
                        "problem_type \"" + problem + "\" is not one of regression, single_label_classification, multi_label_classification (or null to infer it).");
                }
            }

            IReadOnlyList<string> architectures = reader.StringList("architectures") ?? defaults.Architectures;
            (IReadOnlyList<string> labels, bool explicitLabels) = ReadLabels(reader);

            foreach (KeyValuePair<JsonNode, JsonNode> member in root.Members)
            {
                string key = member.Key.Text ?? string.Empty;
                if (!reader.Known.Contains(key) && !IgnoredKeys.Contains(key))
                {
                    problems.Add(new ConfigProblem(ConfigProblemIds.UnknownKey, false,
                        "The key \"" + key + "\" is not an ALBERT or HuggingFace configuration field and is ignored; check its spelling.", key, member.Key.Position));
                }
            }

            bool failed = problems.Exists(p => p.IsError);
            AlbertConfig? config = failed ? null : new AlbertConfig
            {
                VocabSize = vocabSize,
                EmbeddingSize = embeddingSize,
                HiddenSize = hiddenSize,
                NumHiddenLayers = layers,
                NumHiddenGroups = groups,
                NumAttentionHeads = heads,
                IntermediateSize = intermediateSize,
                InnerGroupNum = innerGroupNum,
                HiddenAct = activation,
                HiddenDropoutProb = hiddenDropout,
                AttentionProbsDropoutProb = attentionDropout,
                MaxPositionEmbeddings = maxPositions,
                TypeVocabSize = typeVocabSize,
                InitializerRange = initializerRange,
                LayerNormEps = layerNormEps,
                ClassifierDropoutProb = classifierDropout,
                PositionEmbeddingType = positionType,
                PadTokenId = padTokenId,
                BosTokenId = bosTokenId,
                EosTokenId = eosTokenId,
                NumLabels = labels.Count,
                Id2Label = labels,
                HasExplicitLabels = explicitLabels,
                ProblemType = problemType,
                Architectures = architectures,
            };

            return new ConfigParseResult(config, problems, positions);
        }

        /// <summary>
        /// Checks that a config can serve the given heads: label counts that fit each head, and whether the
        /// checkpoint its <c>architectures</c> describes has weights for them (a warning, since a head without
        /// weights starts from random initialisation). Problems point at <paramref name="where"/> (the declaration)
        /// unless a JSON field is more precise.
        /// </summary>
        public static IReadOnlyList<ConfigProblem> CheckHeads(ConfigParseResult parsed, AlbertHeads heads, TextPosition where)
        {
            if (parsed == null)
            {
                throw new ArgumentNullException(nameof(parsed));
            }

            var problems = new List<ConfigProblem>();
            AlbertConfig? config = parsed.Config;
            if (config is null)
            {
                return problems;
            }

            TextPosition labelsAt = parsed.PositionOf("id2label") ?? parsed.PositionOf("num_labels") ?? where;
            if ((heads & AlbertHeads.QuestionAnswering) != 0 && config.NumLabels != 2)
            {
                problems.Add(new ConfigProblem(ConfigProblemIds.HeadNotSupported, true,
                    "QuestionAnswering needs num_labels = 2 (a start and an end logit per token), but this config has " + config.NumLabels + " label(s); set num_labels to 2 or remove the head.", "num_labels", labelsAt));
            }

            if ((heads & AlbertHeads.SequenceClassification) != 0)
            {
                if (config.ProblemType == AlbertGen.ProblemType.SingleLabelClassification && config.NumLabels < 2)
                {
                    problems.Add(new ConfigProblem(ConfigProblemIds.HeadNotSupported, true,
                        "SequenceClassification with problem_type single_label_classification needs at least 2 labels, but num_labels is " + config.NumLabels + "; add labels or use problem_type regression.", "problem_type", parsed.PositionOf("problem_type") ?? labelsAt));
                }
            }

            AlbertHeads provided = HeadsFromArchitectures(config.Architectures);
            foreach (AlbertHeads head in new[] { AlbertHeads.PreTraining, AlbertHeads.MaskedLM, AlbertHeads.SequenceClassification, AlbertHeads.TokenClassification, AlbertHeads.QuestionAnswering, AlbertHeads.MultipleChoice })
            {
                if ((heads & head) != 0 && (provided & head) == 0)
                {
                    string have = config.Architectures.Count == 0 ? "none" : string.Join(", ", config.Architectures);
                    problems.Add(new ConfigProblem(ConfigProblemIds.HeadNotInArchitectures, false,
                        "The head " + head + " is declared, but the checkpoint this config describes (architectures: " + have + ") has no " + ArchitectureName(head) + " weights; the head will start from random initialisation and needs fine-tuning.", "architectures", parsed.PositionOf("architectures") ?? where));
                }
            }

            return problems;
        }

        private static void CheckSpecialTokenId(FieldReader reader, string field, int id, int vocabSize)
        {
            if (vocabSize > 0 && (id < 0 || id >= vocabSize))
            {
                reader.Problem(ConfigProblemIds.ValueOutOfRange, field, false,
                    field + " is " + id + ", outside the vocabulary [0, " + vocabSize + "); the model never uses it, but tokenizers will.");
            }
        }

        private static (IReadOnlyList<string> Labels, bool Explicit) ReadLabels(FieldReader reader)
        {
            int? numLabels = reader.OptionalSize("num_labels");
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

        private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        /// <summary>Reads typed fields, recording problems and which keys were understood.</summary>
        private sealed class FieldReader
        {
            private readonly Dictionary<string, JsonNode> _fields;
            private readonly List<ConfigProblem> _problems;

            public FieldReader(Dictionary<string, JsonNode> fields, List<ConfigProblem> problems)
            {
                _fields = fields;
                _problems = problems;
            }

            public HashSet<string> Known { get; } = new HashSet<string>(StringComparer.Ordinal);

            public void Problem(string id, string field, bool isError, string message, TextPosition? at = null)
            {
                TextPosition position = at ?? (_fields.TryGetValue(field, out JsonNode? node) ? node.Position : default);
                _problems.Add(new ConfigProblem(id, isError, message, field, position));
            }

            /// <summary>The field's node, or null when it is absent or JSON null (both mean "use the default").</summary>
            private JsonNode? Get(string field)
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

            public int Integer(string field, int fallback) => OptionalInteger(field) ?? fallback;

            public int? OptionalInteger(string field)
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

            public int Size(string field, int fallback) => OptionalSize(field) ?? fallback;

            public int? OptionalSize(string field)
            {
                int? value = OptionalInteger(field);
                if (value.HasValue && value.Value <= 0)
                {
                    Problem(ConfigProblemIds.NonPositiveSize, field, true, field + " is " + value.Value + "; it must be a positive integer.");
                    return null;
                }

                return value;
            }

            public double Double(string field, double fallback)
            {
                JsonNode? node = Get(field);
                if (node is null) return fallback;
                if (node.Kind == JsonKind.Number
                    && double.TryParse(node.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                    && !double.IsInfinity(value))
                {
                    return value;
                }

                Problem(ConfigProblemIds.WrongType, field, true, field + " must be a finite number, but it is " + (node.Kind == JsonKind.Number ? node.Text : node.KindName) + ".");
                return fallback;
            }

            public double Probability(string field, double fallback)
            {
                double value = Double(field, fallback);
                if (value < 0 || value > 1)
                {
                    Problem(ConfigProblemIds.ValueOutOfRange, field, true, field + " is " + Format(value) + "; a dropout probability must be between 0 and 1.");
                    return fallback;
                }

                return value;
            }
        }
    }

    /// <summary>The outcome of <see cref="AlbertConfigReader.Parse(string)"/>.</summary>
#if ALBERTGEN_GENERATOR
    internal
#else
    public
#endif
    sealed class ConfigParseResult
    {
        private readonly IReadOnlyDictionary<string, TextPosition> _positions;

        internal ConfigParseResult(AlbertConfig? config, IReadOnlyList<ConfigProblem> problems, IReadOnlyDictionary<string, TextPosition> positions)
        {
            Config = config;
            Problems = problems;
            _positions = positions;
        }

        /// <summary>The config, or <see langword="null"/> when any problem is an error.</summary>
        public AlbertConfig? Config { get; }

        /// <summary>Every problem found, errors and warnings, in file order per check.</summary>
        public IReadOnlyList<ConfigProblem> Problems { get; }

        /// <summary>Where a top-level field's value is in the file, if the file has the field.</summary>
        public TextPosition? PositionOf(string field) => _positions.TryGetValue(field, out TextPosition p) ? p : (TextPosition?)null;
    }
}
