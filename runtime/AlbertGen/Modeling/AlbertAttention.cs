using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Multi-head self-attention with its output projection, residual and LayerNorm (HuggingFace <c>AlbertAttention</c>).
/// Scores are <c>q·kᵀ/√d + mask</c>; with relative position types the relative scores are added after the mask, unscaled,
/// exactly as HuggingFace's <c>AlbertAttention</c> does.
/// </summary>
internal sealed class AlbertAttention : nn.Module<Tensor, Tensor?, Tensor?, bool, (Tensor Output, Tensor? Probs)>
{
    private readonly AlbertLinear query;
    private readonly AlbertLinear key;
    private readonly AlbertLinear value;
    private readonly AlbertLinear dense;
#pragma warning disable IDE1006 // The field name is the checkpoint name.
    private readonly LayerNorm LayerNorm;
#pragma warning restore IDE1006
    private readonly Embedding? distance_embedding;
    private readonly int _heads;
    private readonly int _headSize;
    private readonly int _maxPositions;
    private readonly PositionEmbeddingType _positionType;
    private readonly double _attentionDropout;
    private readonly double _hiddenDropout;

    public AlbertAttention(AlbertConfig config, bool random) : base("AlbertAttention")
    {
        _heads = config.NumAttentionHeads;
        _headSize = config.AttentionHeadSize;
        int allHeads = _heads * _headSize;
        query = new AlbertLinear(config.HiddenSize, allHeads, random);
        key = new AlbertLinear(config.HiddenSize, allHeads, random);
        value = new AlbertLinear(config.HiddenSize, allHeads, random);
        dense = new AlbertLinear(config.HiddenSize, config.HiddenSize, random);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        _positionType = config.PositionEmbeddingType;
        _maxPositions = config.MaxPositionEmbeddings;
        if (_positionType != PositionEmbeddingType.Absolute)
        {
            distance_embedding = nn.Embedding(2L * config.MaxPositionEmbeddings - 1, _headSize);
        }

        _attentionDropout = config.AttentionProbsDropoutProb;
        _hiddenDropout = config.HiddenDropoutProb;
        RegisterComponents();
    }

    /// <summary>The query projection <c>H → A</c>.</summary>
    internal AlbertLinear Query => query;

    /// <summary>The key projection <c>H → A</c>.</summary>
    internal AlbertLinear Key => key;

    /// <summary>The value projection <c>H → A</c>.</summary>
    internal AlbertLinear Value => value;

    /// <summary>The output projection <c>A → H</c>.</summary>
    internal AlbertLinear Dense => dense;

    /// <summary>The LayerNorm after the residual addition.</summary>
    internal LayerNorm OutputLayerNorm => LayerNorm;

    /// <summary>Number of attention heads.</summary>
    internal int Heads => _heads;

    /// <summary>Size of one head.</summary>
    internal int HeadSize => _headSize;

    /// <summary>The distance embedding <c>[2·P - 1, d]</c> of relative positions (row <c>l - r + P - 1</c>), or null with absolute positions.</summary>
    internal Embedding? DistanceEmbedding => distance_embedding;

    /// <summary>How positions enter the scores.</summary>
    internal PositionEmbeddingType PositionType => _positionType;

    /// <summary>P, the maximum number of positions (<c>max_position_embeddings</c>).</summary>
    internal int MaxPositions => _maxPositions;

    /// <summary>Whether the scores get relative-position terms (<c>relative_key</c>, <c>relative_key_query</c>).</summary>
    internal bool HasRelativePositions => distance_embedding is not null;

    /// <summary>Runs attention.</summary>
    /// <param name="hidden">Hidden states <c>[B, S, H]</c>.</param>
    /// <param name="mask">Additive mask broadcastable to <c>[B, heads, S, S]</c> (0 or -10000), or null.</param>
    /// <param name="headMask">Multiplier of the probabilities broadcastable to <c>[B, heads, S, S]</c>, or null.</param>
    /// <param name="outputAttentions">Whether to return the probabilities.</param>
    /// <returns>The new hidden states <c>[B, S, H]</c> and, when asked, the probabilities <c>[B, heads, S, S]</c>.</returns>
    public override (Tensor Output, Tensor? Probs) forward(Tensor hidden, Tensor? mask, Tensor? headMask, bool outputAttentions)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], seq = hidden.shape[1];
        Tensor q = SplitHeads(query.forward(hidden), batch, seq); // [B, heads, S, d]
        Tensor k = SplitHeads(key.forward(hidden), batch, seq);
        Tensor v = SplitHeads(value.forward(hidden), batch, seq);

        Tensor context;
        Tensor? probs = null;
        bool fused = !outputAttentions && headMask is null && distance_embedding is null;
        if (fused)
        {
            // The fused kernel computes softmax(q·kᵀ/√d + mask)·v without materialising what we do not return.
            double p = training ? _attentionDropout : 0.0;
            context = nn.functional.scaled_dot_product_attention(q, k, v, mask, p, false);
        }
        else
        {
            Tensor scores = q.matmul(k.transpose(-1, -2)).div_(Math.Sqrt(_headSize)); // [B, heads, S, S]
            if (mask is not null)
            {
                scores = scores.add_(mask);
            }

            if (distance_embedding is not null)
            {
                scores = scores.add_(RelativeScores(q, k, seq));
            }

            probs = nn.functional.softmax(scores, -1);
            probs = nn.functional.dropout(probs, _attentionDropout, training);
            if (headMask is not null)
            {
                probs = probs.mul(headMask);
            }

            context = probs.matmul(v);
        }

        Tensor merged = context.transpose(1, 2).reshape(batch, seq, _heads * _headSize); // [B, S, H]
        Tensor projected = nn.functional.dropout(dense.forward(merged), _hiddenDropout, training);
        Tensor output = LayerNorm.forward(projected.add_(hidden));
        output.MoveToOuterDisposeScope();
        probs = outputAttentions ? probs!.MoveToOuterDisposeScope() : null;
        return (output, probs);
    }

    private Tensor SplitHeads(Tensor x, long batch, long seq) =>
        x.view(batch, seq, _heads, _headSize).transpose(1, 2);

    /// <summary>Relative-position scores <c>[B, heads, S, S]</c> from the distance embedding (HuggingFace adds them after the mask, unscaled).</summary>
    internal Tensor RelativeScores(Tensor q, Tensor k, long seq)
    {
        Tensor left = arange(seq, dtype: ScalarType.Int64, device: q.device).view(-1, 1);
        Tensor right = arange(seq, dtype: ScalarType.Int64, device: q.device).view(1, -1);
        Tensor distance = left.sub(right).add_(_maxPositions - 1);          // [S, S], in 0..2P-2
        Tensor positional = distance_embedding!.forward(distance).to(q.dtype); // [S, S, d]
        Tensor byQuery = einsum("bhld,lrd->bhlr", q, positional);
        if (_positionType == PositionEmbeddingType.RelativeKey)
        {
            return byQuery;
        }

        Tensor byKey = einsum("bhrd,lrd->bhlr", k, positional);
        return byQuery.add_(byKey);
    }
}
