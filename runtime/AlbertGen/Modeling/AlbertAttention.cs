using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Multi-head self-attention with its output projection, residual and LayerNorm (HuggingFace <c>AlbertAttention</c>).
/// Scores are <c>q·kᵀ/√d + mask</c>; with relative position types the relative scores are added after the mask, unscaled,
/// exactly as HuggingFace's <c>AlbertAttention</c> does.
/// </summary>
/// <remarks>
/// The query, key and value weights (and biases) are rows of one <c>[3·A, H]</c> tensor (<see cref="FusedProjection"/>): the
/// parameters keep their checkpoint names and are what loading, saving, optimisers and autograd see, while inference runs
/// one matrix product instead of three. The weights exist once. Converting the module (<c>to(dtype/device)</c>) replaces
/// parameters, so the overrides of <c>_to</c> tie them again.
/// </remarks>
internal sealed class AlbertAttention : nn.Module<Tensor, Tensor?, Tensor?, bool, (Tensor Output, Tensor? Probs)>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear dense;
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
    private FusedProjection? _fused;

    public AlbertAttention(AlbertConfig config) : base("AlbertAttention")
    {
        _heads = config.NumAttentionHeads;
        _headSize = config.AttentionHeadSize;
        int allHeads = _heads * _headSize;
        query = ModuleFactory.Linear(config.HiddenSize, allHeads);
        key = ModuleFactory.Linear(config.HiddenSize, allHeads);
        value = ModuleFactory.Linear(config.HiddenSize, allHeads);
        dense = ModuleFactory.Linear(config.HiddenSize, config.HiddenSize);
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
        _fused = FusedProjection.Tie(query, key, value);
    }

    /// <summary>When set, training passes run this block's products in this dtype (<see cref="MixedPrecision"/>).</summary>
    internal ScalarType? TrainingMatMulDType { get; set; }

    /// <summary>Whether inference can use the fused Q/K/V projection (the parameters are still rows of the fused tensors).</summary>
    internal bool HasFusedProjection => _fused is { } f && f.IsTiedTo(query, key, value);

    /// <summary>Whether <see cref="PreparedForward"/> can run this block (the Q/K/V projection is fused).</summary>
    internal bool SupportsPreparedForward => HasFusedProjection;

    /// <summary>The fused Q/K/V projection and the output projection prepared for inference in <paramref name="dtype"/>.</summary>
    internal (PreparedLinear Qkv, PreparedLinear Dense) PrepareWeights(ScalarType dtype, bool pack)
    {
        FusedProjection fused = _fused!;
        return (PreparedLinear.Create(fused.Weight, fused.Bias, dtype, pack), PreparedLinear.Create(dense.weight!, dense.bias!, dtype, pack));
    }

    /// <summary>
    /// Inference with the products and the attention kernel in the dtype of <paramref name="weights"/>, and the residual
    /// addition and LayerNorm in the dtype of <paramref name="hidden"/>.
    /// </summary>
    /// <param name="hidden">Hidden states <c>[B, S, H]</c> in the model's dtype.</param>
    /// <param name="mask">Additive mask in the products' dtype, or null.</param>
    /// <param name="weights">This layer's prepared products.</param>
    /// <remarks>
    /// With relative positions the kernel gets <c>mask + relative scores</c> as its additive mask: HuggingFace adds the
    /// relative scores after the mask and unscaled, and the kernel adds its mask after scaling <c>q·kᵀ</c>, so the sum is
    /// the same.
    /// </remarks>
    internal Tensor PreparedForward(Tensor hidden, Tensor? mask, PreparedLayerWeights weights)
    {
        long batch = hidden.shape[0], seq = hidden.shape[1];
        Tensor context;
        using (var scope = NewDisposeScope())
        {
            Tensor input = hidden.to(weights.Qkv.DType);
            Tensor heads = weights.Qkv.Forward(input).view(batch, seq, 3, _heads, _headSize).permute(2, 0, 3, 1, 4); // [3, B, heads, S, d]
            Tensor q = heads[0], k = heads[1], v = heads[2];
            Tensor? scoresMask = mask;
            if (distance_embedding is not null)
            {
                Tensor relative = RelativeScores(q, k, seq); // [B, heads, S, S]
                scoresMask = mask is null ? relative : relative.add_(mask);
            }

            context = nn.functional.scaled_dot_product_attention(q, k, v, scoresMask, 0.0, false) // [B, heads, S, d]
                .MoveToOuterDisposeScope();
        }

        Tensor projected;
        using (context)
        using (Tensor transposed = context.transpose(1, 2))
        using (Tensor merged = transposed.reshape(batch, seq, _heads * _headSize))
        using (Tensor output = weights.Dense.Forward(merged))
        {
            projected = hidden.add(output); // in a lower precision, type promotion keeps the residual sum in hidden's dtype
        }

        using (projected)
        {
            return LayerNorm.forward(projected);
        }
    }

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
        ScalarType? productDType = training ? TrainingMatMulDType : null;
        Tensor q = SplitHeads(MixedPrecision.Linear(query, hidden, productDType), batch, seq); // [B, heads, S, d]
        Tensor k = SplitHeads(MixedPrecision.Linear(key, hidden, productDType), batch, seq);
        Tensor v = SplitHeads(MixedPrecision.Linear(value, hidden, productDType), batch, seq);

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
        Tensor projected = nn.functional.dropout(MixedPrecision.Linear(dense, merged, productDType), _hiddenDropout, training);
        Tensor output = LayerNorm.forward(projected.add_(hidden));
        output.MoveToOuterDisposeScope();
        probs = outputAttentions ? probs!.MoveToOuterDisposeScope() : null;
        return (output, probs);
    }

    /// <inheritdoc />
    protected override nn.Module _to(Device device, ScalarType dtype, bool non_blocking)
    {
        nn.Module result = base._to(device, dtype, non_blocking);
        Retie();
        return result;
    }

    /// <inheritdoc />
    protected override nn.Module _to(DeviceType deviceType, int deviceIndex, bool non_blocking)
    {
        nn.Module result = base._to(deviceType, deviceIndex, non_blocking);
        Retie();
        return result;
    }

    /// <inheritdoc />
    protected override nn.Module _to(ScalarType dtype, bool non_blocking)
    {
        nn.Module result = base._to(dtype, non_blocking);
        Retie();
        return result;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _fused?.Dispose();
            _fused = null;
        }

        base.Dispose(disposing);
    }

    /// <summary>Conversion gave the projections new, separate tensors: make them rows of one fused tensor again.</summary>
    private void Retie()
    {
        if (_fused is { } old && old.IsTiedTo(query, key, value))
        {
            return;
        }

        _fused?.Dispose();
        _fused = FusedProjection.Tie(query, key, value);
    }

    private Tensor SplitHeads(Tensor x, long batch, long seq) =>
        x.view(batch, seq, _heads, _headSize).transpose(1, 2);

    /// <summary>Relative-position scores <c>[B, heads, S, S]</c> from the distance embedding.</summary>
    private Tensor RelativeScores(Tensor q, Tensor k, long seq)
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
