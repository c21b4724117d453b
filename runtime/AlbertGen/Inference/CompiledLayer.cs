using AlbertGen.Inference.Kernels;
using AlbertGen.Inference.Managed;
using AlbertGen.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>
/// One transformer layer compiled for inference: its four products on their kernels (query, key and value fused into one
/// product), the attention on libtorch's fused <c>scaled_dot_product_attention</c>, and the model's own LayerNorms. The
/// products, the attention and the activation run in the kernels' dtype; residual additions and LayerNorms in the model's.
/// </summary>
/// <remarks>
/// In a lower precision the products' outputs (biases included) are rounded once, and the residual sums that take the
/// attention and feed-forward outputs are computed in the model's dtype (type promotion), so the residual stream never
/// holds low-precision values.
/// </remarks>
internal sealed class CompiledLayer : IDisposable
{
    private readonly AlbertLayer _layer;
    private readonly IProductKernel[] _qkv;
    private readonly IProductKernel _dense;
    private readonly IProductKernel _ffn;
    private readonly IProductKernel _ffnOutput;
    private readonly int _heads;
    private readonly int _headSize;

    private CompiledLayer(AlbertLayer layer, IProductKernel[] qkv, IProductKernel dense, IProductKernel ffn, IProductKernel ffnOutput)
    {
        _layer = layer;
        _qkv = qkv;
        _dense = dense;
        _ffn = ffn;
        _ffnOutput = ffnOutput;
        _heads = layer.Attention.Heads;
        _headSize = layer.Attention.HeadSize;
    }

    /// <summary>The dtype of the products.</summary>
    public ScalarType DType => _dense.DType;

    /// <summary>The kernels' names, by product.</summary>
    public IEnumerable<(LayerProduct Product, AlbertLinear Module, long Outputs, string Kernel)> Products
    {
        get
        {
            AlbertAttention a = _layer.Attention;
            long qkvOutputs = a.Query.weight!.shape[0] + a.Key.weight!.shape[0] + a.Value.weight!.shape[0];
            yield return (LayerProduct.QueryKeyValue, a.Query, qkvOutputs, _qkv[0].Name);
            yield return (LayerProduct.AttentionOutput, a.Dense, a.Dense.weight!.shape[0], _dense.Name);
            yield return (LayerProduct.FeedForward, _layer.Ffn, _layer.Ffn.weight!.shape[0], _ffn.Name);
            yield return (LayerProduct.FeedForwardOutput, _layer.FfnOutput, _layer.FfnOutput.weight!.shape[0], _ffnOutput.Name);
        }
    }

    /// <summary>
    /// Compiles <paramref name="layer"/>. With <paramref name="derive"/> false nothing is made from the weights (no fused or
    /// converted copies, no packing): every product reads the model's parameters as they are. Managed products store their
    /// weights as <paramref name="storage"/> says.
    /// </summary>
    public static CompiledLayer Compile(
        AlbertLayer layer, ScalarType dtype, bool derive, Func<LayerProduct, long, long, ProductKernel> choose, CpuFeatures cpu,
        ManagedWeightStorage storage = ManagedWeightStorage.Float32)
    {
        AlbertAttention a = layer.Attention;
        var made = new List<IProductKernel>();
        try
        {
            IProductKernel Make(LayerProduct product, AlbertLinear module, AlbertActivation? activation = null) => Add(MakeKernel(product, Borrow(module), module, activation));

            IProductKernel MakeKernel(LayerProduct product, ProductWeights weights, AlbertLinear module, AlbertActivation? activation) =>
                derive
                    ? ProductKernels.Create(choose(product, module.weight!.shape[0], module.weight!.shape[1]), weights, dtype, activation, cpu, storage)
                    : new LibTorchKernel(weights, dtype, activation);

            IProductKernel Add(IProductKernel kernel)
            {
                made.Add(kernel);
                return kernel;
            }

            IProductKernel[] qkv;
            if (derive)
            {
                ProductWeights fused;
                using (no_grad())
                {
                    fused = new ProductWeights(
                        cat([a.Query.weight!, a.Key.weight!, a.Value.weight!], 0).DetachFromDisposeScope(),
                        cat([a.Query.bias!, a.Key.bias!, a.Value.bias!], 0).DetachFromDisposeScope(),
                        Owned: true);
                }

                qkv = [Add(ProductKernels.Create(choose(LayerProduct.QueryKeyValue, fused.Weight.shape[0], fused.Weight.shape[1]), fused, dtype, null, cpu, storage))];
            }
            else
            {
                qkv = [Make(LayerProduct.Query, a.Query), Make(LayerProduct.Key, a.Key), Make(LayerProduct.Value, a.Value)];
            }

            return new CompiledLayer(layer, qkv, Make(LayerProduct.AttentionOutput, a.Dense), Make(LayerProduct.FeedForward, layer.Ffn, layer.Activation), Make(LayerProduct.FeedForwardOutput, layer.FfnOutput));
        }
        catch
        {
            made.ForEach(k => k.Dispose());
            throw;
        }
    }

    /// <summary>Runs the layer on <paramref name="hidden"/> <c>[B, S, H]</c> (model dtype).</summary>
    /// <param name="hidden">Hidden states.</param>
    /// <param name="mask">Additive mask <c>[B, 1, 1, S]</c> in the products' dtype, or null.</param>
    /// <returns>The new hidden states, in the model's dtype.</returns>
    /// <remarks>
    /// With relative positions the attention kernel gets <c>mask + relative scores</c> as its additive mask: HuggingFace adds
    /// the relative scores after the mask and unscaled, and the kernel adds its mask after scaling <c>q·kᵀ</c>, so the sum is
    /// the same.
    /// </remarks>
    public Tensor Forward(Tensor hidden, Tensor? mask)
    {
        long batch = hidden.shape[0], seq = hidden.shape[1];
        Tensor attended;
        using (var scope = NewDisposeScope())
        {
            Tensor input = hidden.to(DType);
            Tensor projections = _qkv.Length == 1 ? _qkv[0].Forward(input) : cat(_qkv.Select(k => k.Forward(input)).ToArray(), -1);
            Tensor heads = projections.view(batch, seq, 3, _heads, _headSize).permute(2, 0, 3, 1, 4); // [3, B, heads, S, d]
            Tensor q = heads[0], k = heads[1], v = heads[2];
            Tensor? scoresMask = mask;
            if (_layer.Attention.HasRelativePositions)
            {
                Tensor relative = _layer.Attention.RelativeScores(q, k, seq); // [B, heads, S, S]
                scoresMask = mask is null ? relative : relative.add_(mask);
            }

            Tensor context = nn.functional.scaled_dot_product_attention(q, k, v, scoresMask, 0.0, false); // [B, heads, S, d]
            Tensor merged = context.transpose(1, 2).reshape(batch, seq, _heads * _headSize);
            Tensor projected = hidden.add(_dense.Forward(merged)); // type promotion keeps the residual sum in hidden's dtype
            attended = _layer.Attention.OutputLayerNorm.forward(projected).MoveToOuterDisposeScope();
        }

        Tensor output;
        using (attended)
        {
            Tensor summed;
            using (Tensor input = attended.to(DType))
            using (Tensor inner = _ffn.Forward(input)) // [B, S, I]
            using (Tensor projected = _ffnOutput.Forward(inner))
            {
                summed = attended.add(projected);
            }

            using (summed)
            {
                output = _layer.OutputLayerNorm.forward(summed);
            }
        }

        return output;
    }

    public void Dispose()
    {
        foreach (IProductKernel kernel in _qkv)
        {
            kernel.Dispose();
        }

        _dense.Dispose();
        _ffn.Dispose();
        _ffnOutput.Dispose();
    }

    private static ProductWeights Borrow(AlbertLinear module) => new(module.weight!, module.bias!, Owned: false);
}
