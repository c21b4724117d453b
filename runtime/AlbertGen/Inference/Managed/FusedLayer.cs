namespace AlbertGen.Inference.Managed;

/// <summary>
/// One transformer layer run in managed buffers, a step at a time over all rows: the fused query/key/value product, the
/// attention (<see cref="FusedAttention"/>), the attention output product with the residual as its addend, LayerNorm, the
/// feed-forward product with its activation, the output product with the residual, LayerNorm. Each step is at most one
/// parallel region and no step calls libtorch.
/// </summary>
/// <remarks>
/// The products are borrowed from the compiled layer's kernels (which own and dispose them). The LayerNorms' parameters are
/// read from the model's tensors at every call, as the libtorch path reads them, so a change to them is seen the same way.
/// </remarks>
internal sealed unsafe class FusedLayer
{
    private readonly IManagedProduct _qkv;
    private readonly IManagedProduct _dense;
    private readonly IManagedProduct _ffn;
    private readonly IManagedProduct _ffnOutput;
    private readonly TorchSharp.Modules.LayerNorm _attentionNorm;
    private readonly TorchSharp.Modules.LayerNorm _outputNorm;
    private readonly float _eps;
    private readonly TorchSharp.Modules.Embedding? _distances;
    private readonly int _maxPositions;
    private readonly bool _keyQuery;
    private readonly ManagedIsa _isa;

    /// <summary>
    /// Makes the layer from its four products, its two LayerNorms and, with relative positions, its distance embedding (the
    /// model's modules, read at each call); its attention runs on the microkernels of <paramref name="isa"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The products' shapes do not chain (qkv <c>[3·A, H]</c>, dense <c>[H, A]</c>, ffn <c>[I, H]</c>, ffn_output <c>[H, I]</c>).</exception>
    public FusedLayer(
        IManagedProduct qkv, IManagedProduct dense, IManagedProduct ffn, IManagedProduct ffnOutput,
        TorchSharp.Modules.LayerNorm attentionNorm, TorchSharp.Modules.LayerNorm outputNorm, int heads, float eps, ManagedIsa isa,
        TorchSharp.Modules.Embedding? distances = null, int maxPositions = 0, bool keyQuery = false)
    {
        Hidden = qkv.Inputs;
        Heads = heads;
        HeadSize = qkv.Outputs / 3 / heads;
        Intermediate = ffn.Outputs;
        int all = Heads * HeadSize;
        if (qkv.Outputs != 3 * all || dense.Inputs != all || dense.Outputs != Hidden || ffn.Inputs != Hidden || ffnOutput.Inputs != Intermediate || ffnOutput.Outputs != Hidden)
        {
            throw new ArgumentException(
                $"The fused layer's products do not chain: qkv [{qkv.Outputs}×{qkv.Inputs}], dense [{dense.Outputs}×{dense.Inputs}], ffn [{ffn.Outputs}×{ffn.Inputs}], ffn_output [{ffnOutput.Outputs}×{ffnOutput.Inputs}] with {heads} heads.");
        }

        _qkv = qkv;
        _dense = dense;
        _ffn = ffn;
        _ffnOutput = ffnOutput;
        _attentionNorm = attentionNorm;
        _outputNorm = outputNorm;
        _eps = eps;
        _distances = distances;
        _maxPositions = maxPositions;
        _keyQuery = keyQuery;
        _isa = isa;
    }

    /// <summary>The hidden size H (the width of the rows in and out).</summary>
    public int Hidden { get; }

    /// <summary>Number of attention heads.</summary>
    public int Heads { get; }

    /// <summary>Size of one head d.</summary>
    public int HeadSize { get; }

    /// <summary>The feed-forward size I.</summary>
    public int Intermediate { get; }

    /// <summary>The four products, each with the layer product it computes (for naming and counting).</summary>
    public IEnumerable<(LayerProduct Product, IManagedProduct Kernel)> Products =>
        [(LayerProduct.QueryKeyValue, _qkv), (LayerProduct.AttentionOutput, _dense), (LayerProduct.FeedForward, _ffn), (LayerProduct.FeedForwardOutput, _ffnOutput)];

    /// <summary>Floats of scratch a call over <paramref name="rows"/> rows needs besides the hidden rows.</summary>
    public long ScratchFloats(int rows) =>
        ((long)rows * ((3L * Heads * HeadSize) + (Heads * HeadSize) + Hidden + Intermediate))
        + (_distances is null ? 0 : FusedAttention.RelativeFloats(HeadSize, _maxPositions));

    /// <summary>
    /// Runs the layer on <paramref name="hidden"/> <c>[batch·seq, H]</c>, in place.
    /// </summary>
    /// <param name="hidden">The hidden rows; overwritten with the layer's output.</param>
    /// <param name="mask">Additive mask <c>[batch, seq]</c>, or null.</param>
    /// <param name="scratch">At least <see cref="ScratchFloats"/> floats.</param>
    /// <param name="batch">Sequences.</param>
    /// <param name="seq">Positions per sequence.</param>
    public void Run(float* hidden, float* mask, float* scratch, int batch, int seq)
    {
        int rows = batch * seq, all = Heads * HeadSize;
        float* qkv = scratch;
        float* context = qkv + ((long)rows * 3 * all);
        float* attended = context + ((long)rows * all);
        float* inner = attended + ((long)rows * Hidden);
        float* relative = null;
        if (_distances is not null)
        {
            relative = inner + ((long)rows * Intermediate);
            FusedAttention.PrepareRelative(TensorMemory.Floats(_distances.weight!, "The distance embedding"), HeadSize, _maxPositions, relative);
        }

        ManagedProductRunner.Run(_qkv, hidden, Hidden, rows, qkv, 3 * all);
        bool parallel = (long)rows * seq * all >= ManagedProductRunner.ParallelMinimumWork;
        FusedAttention.Run(qkv, mask, context, batch, seq, Heads, HeadSize, _isa, parallel, relative, _maxPositions, _keyQuery);
        ManagedProductRunner.Run(_dense, context, all, rows, attended, Hidden, hidden);
        Normalize(_attentionNorm, attended, rows);
        ManagedProductRunner.Run(_ffn, attended, Hidden, rows, inner, Intermediate);
        ManagedProductRunner.Run(_ffnOutput, inner, Intermediate, rows, hidden, Hidden, attended);
        Normalize(_outputNorm, hidden, rows);
    }

    private void Normalize(TorchSharp.Modules.LayerNorm norm, float* rows, int count) =>
        FusedLayerNorm.Run(rows, rows, count, Hidden, TensorMemory.Floats(norm.weight!, "A LayerNorm weight"), TensorMemory.Floats(norm.bias!, "A LayerNorm bias"), _eps);
}
