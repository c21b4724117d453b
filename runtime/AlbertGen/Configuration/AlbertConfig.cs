// Shared source: compiled into the runtime (public) and into the source generator (internal), so that
// "valid at build time" and "valid at run time" are decided by the same code.
using System.Collections.Generic;

namespace AlbertGen
{
    /// <summary>
    /// An ALBERT model configuration: the fields of HuggingFace's <c>AlbertConfig</c> (<c>config.json</c>), with
    /// HuggingFace's defaults for fields a file leaves out. Instances are immutable values: load one with
    /// <c>AlbertConfigReader</c>, build one with an object initializer, change one with <c>with</c>; two configs are
    /// equal when every field is (label names and architectures compared item by item).
    /// </summary>
    /// <remarks>
    /// Each property is a row of the field table (<c>AlbertGen.Configuration.AlbertConfigSchema</c>), which reads,
    /// writes, compares and generates them; a new field is a property here and a row there.
    /// </remarks>
#if ALBERTGEN_GENERATOR
    internal
#else
    public
#endif
    sealed record AlbertConfig
    {
        /// <summary>Size of the token vocabulary (<c>vocab_size</c>).</summary>
        public int VocabSize { get; init; } = 30000;

        /// <summary>Size of the factorised token embeddings, E (<c>embedding_size</c>).</summary>
        public int EmbeddingSize { get; init; } = 128;

        /// <summary>Size of the encoder's hidden states, H (<c>hidden_size</c>).</summary>
        public int HiddenSize { get; init; } = 4096;

        /// <summary>Number of layer steps the encoder runs (<c>num_hidden_layers</c>).</summary>
        public int NumHiddenLayers { get; init; } = 12;

        /// <summary>Number of parameter groups the layer steps share (<c>num_hidden_groups</c>).</summary>
        public int NumHiddenGroups { get; init; } = 1;

        /// <summary>Number of attention heads (<c>num_attention_heads</c>).</summary>
        public int NumAttentionHeads { get; init; } = 64;

        /// <summary>Size of the feed-forward layer (<c>intermediate_size</c>).</summary>
        public int IntermediateSize { get; init; } = 16384;

        /// <summary>Number of layers inside each group (<c>inner_group_num</c>).</summary>
        public int InnerGroupNum { get; init; } = 1;

        /// <summary>Activation of the feed-forward layer and the MLM head (<c>hidden_act</c>).</summary>
        public AlbertActivation HiddenAct { get; init; } = AlbertActivation.GeluNew;

        /// <summary>Dropout on embeddings and hidden states (<c>hidden_dropout_prob</c>).</summary>
        public double HiddenDropoutProb { get; init; }

        /// <summary>Dropout on attention probabilities (<c>attention_probs_dropout_prob</c>).</summary>
        public double AttentionProbsDropoutProb { get; init; }

        /// <summary>Length of the position table: the longest sequence (<c>max_position_embeddings</c>).</summary>
        public int MaxPositionEmbeddings { get; init; } = 512;

        /// <summary>Number of token types (segments) (<c>type_vocab_size</c>).</summary>
        public int TypeVocabSize { get; init; } = 2;

        /// <summary>Standard deviation of the normal initialiser (<c>initializer_range</c>).</summary>
        public double InitializerRange { get; init; } = 0.02;

        /// <summary>Epsilon of every LayerNorm (<c>layer_norm_eps</c>).</summary>
        public double LayerNormEps { get; init; } = 1e-12;

        /// <summary>Dropout before the classification heads (<c>classifier_dropout_prob</c>).</summary>
        public double ClassifierDropoutProb { get; init; } = 0.1;

        /// <summary>How positions enter attention (<c>position_embedding_type</c>).</summary>
        public PositionEmbeddingType PositionEmbeddingType { get; init; } = PositionEmbeddingType.Absolute;

        /// <summary>Id of the padding token (<c>pad_token_id</c>).</summary>
        public int PadTokenId { get; init; }

        /// <summary>Id of the beginning-of-sequence token, <c>[CLS]</c> (<c>bos_token_id</c>).</summary>
        public int BosTokenId { get; init; } = 2;

        /// <summary>Id of the end-of-sequence token, <c>[SEP]</c> (<c>eos_token_id</c>).</summary>
        public int EosTokenId { get; init; } = 3;

        /// <summary>Number of labels of the classification heads (<c>num_labels</c>, else the size of <c>id2label</c>, else 2).</summary>
        public int NumLabels { get; init; } = 2;

        /// <summary>
        /// Label names by id (<c>id2label</c>); when not set (the file has none), HuggingFace's names
        /// <c>LABEL_0</c> … <c>LABEL_{NumLabels-1}</c>.
        /// </summary>
        public IReadOnlyList<string> Id2Label
        {
            get => _id2Label ?? new DefaultLabelNames(NumLabels);
            init => _id2Label = value;
        }

        private readonly IReadOnlyList<string>? _id2Label;

        /// <summary>Whether <see cref="Id2Label"/> came from the file rather than from the defaults.</summary>
        public bool HasExplicitLabels { get; init; }

        /// <summary>The loss of sequence classification (<c>problem_type</c>); <see langword="null"/> means inferred from the labels.</summary>
        public ProblemType? ProblemType { get; init; }

        /// <summary>HuggingFace class names the checkpoint was saved from (<c>architectures</c>).</summary>
        public IReadOnlyList<string> Architectures { get; init; } = new string[0];

        /// <summary>Size of one attention head: <see cref="HiddenSize"/> / <see cref="NumAttentionHeads"/>.</summary>
        public int AttentionHeadSize => HiddenSize / NumAttentionHeads;

        /// <summary>Number of layer steps that share one group: <see cref="NumHiddenLayers"/> / <see cref="NumHiddenGroups"/>.</summary>
        public int LayersPerGroup => NumHiddenLayers / NumHiddenGroups;

        /// <summary>Whether every field of <paramref name="other"/> has the same value (lists compared item by item).</summary>
        /// <param name="other">The other config.</param>
        public bool Equals(AlbertConfig? other)
        {
            if (other is null)
            {
                return false;
            }

            if (ReferenceEquals(this, other))
            {
                return true;
            }

            foreach (Configuration.ConfigField field in Configuration.AlbertConfigSchema.Fields)
            {
                if (!field.ValueEquals(this, other))
                {
                    return false;
                }
            }

            return true;
        }

        /// <inheritdoc />
        public override int GetHashCode()
        {
            int hash = 17;
            foreach (Configuration.ConfigField field in Configuration.AlbertConfigSchema.Fields)
            {
                hash = unchecked((hash * 31) + field.ValueHash(this));
            }

            return hash;
        }
    }

    /// <summary>
    /// HuggingFace's default label names, <c>LABEL_0</c> … <c>LABEL_{count-1}</c>, made on demand: a config may say
    /// <c>num_labels: 2000000000</c>, and reading it must not allocate two billion strings.
    /// </summary>
    internal sealed class DefaultLabelNames : IReadOnlyList<string>
    {
        public DefaultLabelNames(int count)
        {
            Count = count < 0 ? 0 : count;
        }

        public int Count { get; }

        public string this[int index] => index >= 0 && index < Count
            ? "LABEL_" + index.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : throw new System.ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<string> GetEnumerator()
        {
            for (int i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Activation functions ALBERT configurations name in <c>hidden_act</c>.</summary>
#if ALBERTGEN_GENERATOR
    internal
#else
    public
#endif
    enum AlbertActivation
    {
        /// <summary><c>gelu</c>: the exact erf form.</summary>
        Gelu,
        /// <summary><c>gelu_new</c>: the tanh approximation, 0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³))).</summary>
        GeluNew,
        /// <summary><c>gelu_fast</c>: the tanh approximation written as 0.5·x·(1+tanh(0.7978845608·x·(1+0.044715·x²))).</summary>
        GeluFast,
        /// <summary><c>quick_gelu</c>: x·sigmoid(1.702·x).</summary>
        QuickGelu,
        /// <summary><c>relu</c>.</summary>
        Relu,
        /// <summary><c>silu</c> (also named <c>swish</c>): x·sigmoid(x).</summary>
        Silu,
    }

    /// <summary>Values of <c>position_embedding_type</c>.</summary>
#if ALBERTGEN_GENERATOR
    internal
#else
    public
#endif
    enum PositionEmbeddingType
    {
        /// <summary><c>absolute</c>: a learned position table added to the embeddings.</summary>
        Absolute,
        /// <summary><c>relative_key</c>: learned relative-distance embeddings scored against the queries.</summary>
        RelativeKey,
        /// <summary><c>relative_key_query</c>: relative-distance embeddings scored against queries and keys.</summary>
        RelativeKeyQuery,
    }

    /// <summary>Values of <c>problem_type</c>: which loss sequence classification uses.</summary>
#if ALBERTGEN_GENERATOR
    internal
#else
    public
#endif
    enum ProblemType
    {
        /// <summary><c>regression</c>: mean squared error on the (squeezed) logits.</summary>
        Regression,
        /// <summary><c>single_label_classification</c>: cross-entropy over the labels.</summary>
        SingleLabelClassification,
        /// <summary><c>multi_label_classification</c>: binary cross-entropy with logits per label.</summary>
        MultiLabelClassification,
    }
}
