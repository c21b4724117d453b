// Shared source: compiled into the runtime and into the source generator. Everything here is pure: it never
// touches the file system and never throws on bad input (see AlbertConfigReader.Files.cs for file reading).
using System;
using System.Collections.Generic;
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

        /// <summary>The <c>hidden_act</c> names the runtime implements.</summary>
        public static IReadOnlyCollection<string> SupportedActivations => ConfigTypes.Activation.Names;

        /// <summary>The JSON name of an activation (the name HuggingFace writes).</summary>
        public static string ActivationName(AlbertActivation activation) => ConfigTypes.Activation.NameOf(activation);

        /// <summary>The JSON name of a position embedding type.</summary>
        public static string PositionEmbeddingTypeName(PositionEmbeddingType type) => ConfigTypes.PositionEmbedding.NameOf(type);

        /// <summary>The JSON name of a problem type.</summary>
        public static string ProblemTypeName(ProblemType type) => ConfigTypes.Problem.Inner.NameOf(type);

        /// <summary>The HuggingFace class name of a single head (<c>AlbertModel</c> for <see cref="AlbertHeads.None"/>).</summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="head"/> is a combination of heads.</exception>
        public static string ArchitectureName(AlbertHeads head) => AlbertHeadRegistry.Of(head).HuggingFaceName;

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
                heads |= AlbertHeadRegistry.FromHuggingFaceName(name)?.Provides ?? AlbertHeads.None;
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

            var reader = new ConfigFieldReader(fields, problems);
            var config = new AlbertConfig();
            foreach (ConfigField field in AlbertConfigSchema.Fields)
            {
                config = field.Read(reader, config);
            }

            foreach (ConfigField field in AlbertConfigSchema.Fields)
            {
                field.Check(reader, config);
            }

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
            return new ConfigParseResult(failed ? null : config, problems, positions);
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
            foreach (AlbertHeadInfo info in AlbertHeadRegistry.All)
            {
                AlbertHeads head = info.Head;
                if (head != AlbertHeads.None && (heads & head) != 0 && (provided & head) == 0)
                {
                    string have = config.Architectures.Count == 0 ? "none" : string.Join(", ", config.Architectures);
                    problems.Add(new ConfigProblem(ConfigProblemIds.HeadNotInArchitectures, false,
                        "The head " + head + " is declared, but the checkpoint this config describes (architectures: " + have + ") has no " + info.HuggingFaceName + " weights; the head will start from random initialisation and needs fine-tuning.", "architectures", parsed.PositionOf("architectures") ?? where));
                }
            }

            return problems;
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
