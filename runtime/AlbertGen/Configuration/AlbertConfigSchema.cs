// Shared source: compiled into the runtime and into the source generator.
using System.Collections.Generic;
using static AlbertGen.Configuration.ConfigFieldRoles;

namespace AlbertGen.Configuration
{
    /// <summary>
    /// The one table of <c>config.json</c> fields. The reader, the writer, the equality of <see cref="AlbertConfig"/>,
    /// the typed models' checkpoint check, <c>albertgen info</c> and the source generator's constants all walk it, so a
    /// new field is a property of <see cref="AlbertConfig"/> and a row here. Row order is HuggingFace's
    /// <c>AlbertConfig.__init__</c> order; it is the order of generated constants and of reported differences.
    /// </summary>
    internal static class AlbertConfigSchema
    {
        /// <summary>Every field, in order.</summary>
        public static readonly IReadOnlyList<ConfigField> Fields = new ConfigField[]
        {
            new ModelTypeField(),
            Row("vocab_size", nameof(AlbertConfig.VocabSize), ConfigTypes.Size, c => c.VocabSize, (c, v) => c with { VocabSize = v }, Constant | Shape, "Size of the token vocabulary, V"),
            Row("embedding_size", nameof(AlbertConfig.EmbeddingSize), ConfigTypes.Size, c => c.EmbeddingSize, (c, v) => c with { EmbeddingSize = v }, Constant | Shape, "Size of the factorised token embeddings, E"),
            Row("hidden_size", nameof(AlbertConfig.HiddenSize), ConfigTypes.Size, c => c.HiddenSize, (c, v) => c with { HiddenSize = v }, Constant | Shape, "Size of the hidden states, H",
                (v, c) => v % c.NumAttentionHeads == 0 ? null : ConfigCheck.Error(ConfigProblemIds.HeadsDoNotDivideHidden,
                    "hidden_size (" + v + ") must be a multiple of num_attention_heads (" + c.NumAttentionHeads + ") so that every head has the same size; change one of them.")),
            Row("num_hidden_layers", nameof(AlbertConfig.NumHiddenLayers), ConfigTypes.Size, c => c.NumHiddenLayers, (c, v) => c with { NumHiddenLayers = v }, Constant | Shape, "Number of layer steps the encoder runs"),
            Row("num_hidden_groups", nameof(AlbertConfig.NumHiddenGroups), ConfigTypes.Size, c => c.NumHiddenGroups, (c, v) => c with { NumHiddenGroups = v }, Constant | Shape, "Number of parameter groups the layer steps share",
                (v, c) => c.NumHiddenLayers % v == 0 ? null : ConfigCheck.Error(ConfigProblemIds.GroupsDoNotDivideLayers,
                    "num_hidden_layers (" + c.NumHiddenLayers + ") must be a multiple of num_hidden_groups (" + v + ") so that every group is shared by the same number of layer steps; change one of them.")),
            Row("num_attention_heads", nameof(AlbertConfig.NumAttentionHeads), ConfigTypes.Size, c => c.NumAttentionHeads, (c, v) => c with { NumAttentionHeads = v }, Constant | Shape, "Number of attention heads"),
            Row("intermediate_size", nameof(AlbertConfig.IntermediateSize), ConfigTypes.Size, c => c.IntermediateSize, (c, v) => c with { IntermediateSize = v }, Constant | Shape, "Size of the feed-forward layer"),
            Row("inner_group_num", nameof(AlbertConfig.InnerGroupNum), ConfigTypes.Size, c => c.InnerGroupNum, (c, v) => c with { InnerGroupNum = v }, Constant | Shape, "Number of layers inside each group"),
            Row("hidden_act", nameof(AlbertConfig.HiddenAct), ConfigTypes.Activation, c => c.HiddenAct, (c, v) => c with { HiddenAct = v }, Constant | Shape, "Activation of the feed-forward layer and the masked-LM head"),
            Row("hidden_dropout_prob", nameof(AlbertConfig.HiddenDropoutProb), ConfigTypes.Probability, c => c.HiddenDropoutProb, (c, v) => c with { HiddenDropoutProb = v }, None, "Dropout on embeddings and hidden states"),
            Row("attention_probs_dropout_prob", nameof(AlbertConfig.AttentionProbsDropoutProb), ConfigTypes.Probability, c => c.AttentionProbsDropoutProb, (c, v) => c with { AttentionProbsDropoutProb = v }, None, "Dropout on attention probabilities"),
            Row("max_position_embeddings", nameof(AlbertConfig.MaxPositionEmbeddings), ConfigTypes.Size, c => c.MaxPositionEmbeddings, (c, v) => c with { MaxPositionEmbeddings = v }, Constant | Shape, "Longest sequence: the size of the position table"),
            Row("type_vocab_size", nameof(AlbertConfig.TypeVocabSize), ConfigTypes.Size, c => c.TypeVocabSize, (c, v) => c with { TypeVocabSize = v }, Constant | Shape, "Number of token types, i.e. segments"),
            Row("initializer_range", nameof(AlbertConfig.InitializerRange), ConfigTypes.Number, c => c.InitializerRange, (c, v) => c with { InitializerRange = v }, None, "Standard deviation of the normal initialiser",
                (v, c) => v >= 0 ? null : ConfigCheck.Error(ConfigProblemIds.ValueOutOfRange,
                    "initializer_range is " + ConfigFieldReader.Format(v) + "; it is a standard deviation and must be zero or positive.")),
            Row("layer_norm_eps", nameof(AlbertConfig.LayerNormEps), ConfigTypes.Number, c => c.LayerNormEps, (c, v) => c with { LayerNormEps = v }, Constant, "Epsilon of every LayerNorm",
                (v, c) => v > 0 && !double.IsInfinity(v) ? null : ConfigCheck.Error(ConfigProblemIds.ValueOutOfRange,
                    "layer_norm_eps is " + ConfigFieldReader.Format(v) + "; it must be a small positive number such as 1e-12.")),
            Row("classifier_dropout_prob", nameof(AlbertConfig.ClassifierDropoutProb), ConfigTypes.Probability, c => c.ClassifierDropoutProb, (c, v) => c with { ClassifierDropoutProb = v }, None, "Dropout before the classification heads"),
            Row("position_embedding_type", nameof(AlbertConfig.PositionEmbeddingType), ConfigTypes.PositionEmbedding, c => c.PositionEmbeddingType, (c, v) => c with { PositionEmbeddingType = v }, Constant | Shape, "How positions enter the model"),
            Row("pad_token_id", nameof(AlbertConfig.PadTokenId), ConfigTypes.Integer, c => c.PadTokenId, (c, v) => c with { PadTokenId = v }, Constant, "Id of the padding token",
                (v, c) => v >= 0 && v < c.VocabSize ? null : ConfigCheck.Error(ConfigProblemIds.ValueOutOfRange,
                    "pad_token_id is " + v + ", outside the vocabulary [0, " + c.VocabSize + "); the padding row of the word embeddings must exist.")),
            Row("bos_token_id", nameof(AlbertConfig.BosTokenId), ConfigTypes.Integer, c => c.BosTokenId, (c, v) => c with { BosTokenId = v }, Constant, "Id of the beginning-of-sequence token, <c>[CLS]</c>", SpecialTokenInVocabulary("bos_token_id")),
            Row("eos_token_id", nameof(AlbertConfig.EosTokenId), ConfigTypes.Integer, c => c.EosTokenId, (c, v) => c with { EosTokenId = v }, Constant, "Id of the end-of-sequence token, <c>[SEP]</c>", SpecialTokenInVocabulary("eos_token_id")),
            new LabelsField(Constant | LabelShape, "Number of labels of the classification heads"),
            Row("problem_type", nameof(AlbertConfig.ProblemType), ConfigTypes.Problem, c => c.ProblemType, (c, v) => c with { ProblemType = v }, None, "The loss of sequence classification"),
            Row("architectures", nameof(AlbertConfig.Architectures), ConfigTypes.StringList, c => c.Architectures, (c, v) => c with { Architectures = v }, None, "HuggingFace class names the checkpoint was saved from"),
        };

        /// <summary>The row of a JSON key (any of a field's keys), or null.</summary>
        public static ConfigField? Find(string jsonName)
        {
            foreach (ConfigField field in Fields)
            {
                foreach (string name in field.JsonNames)
                {
                    if (name == jsonName)
                    {
                        return field;
                    }
                }
            }

            return null;
        }

        private static ConfigField<T> Row<T>(string jsonName, string propertyName, ConfigValueType<T> type, System.Func<AlbertConfig, T> get,
            System.Func<AlbertConfig, T, AlbertConfig> with, ConfigFieldRoles roles, string doc, System.Func<T, AlbertConfig, ConfigCheck?>? check = null) =>
            new ConfigField<T>(jsonName, propertyName, type, get, with, roles, doc, check);

        /// <summary>A token id outside the vocabulary: the model never uses it, but tokenizers will (a warning).</summary>
        private static System.Func<int, AlbertConfig, ConfigCheck?> SpecialTokenInVocabulary(string field) =>
            (v, c) => v >= 0 && v < c.VocabSize ? null : ConfigCheck.Warning(ConfigProblemIds.ValueOutOfRange,
                field + " is " + v + ", outside the vocabulary [0, " + c.VocabSize + "); the model never uses it, but tokenizers will.");
    }
}
