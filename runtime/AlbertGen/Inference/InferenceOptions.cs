using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>How <see cref="InferenceCompiler.CompileForInference{TOutput}"/> compiles a model.</summary>
public sealed record InferenceOptions
{
    /// <summary>The default options: products in the model's dtype, kernels chosen for <see cref="CpuFeatures.Current"/>.</summary>
    public static InferenceOptions Default { get; } = new();

    /// <summary>
    /// The dtype of the transformer layers' matrix products (query/key/value, attention, attention output, feed-forward)
    /// and the activation; parameters, embeddings, residual additions, LayerNorms and task heads stay in the model's dtype,
    /// and outputs have it. Null (default): the model's dtype.
    /// </summary>
    /// <remarks>
    /// <c>ScalarType.BFloat16</c> runs those products in bfloat16 where the CPU computes bfloat16 natively
    /// (<see cref="CpuFeatures.HasNativeBFloat16"/>). On a CPU without it, libtorch would emulate bfloat16, several times
    /// slower than float32; the session then runs float32 products instead and says so in
    /// <see cref="InferenceSession{TOutput}.Warnings"/> (the command line prints that warning as one line).
    /// </remarks>
    public ScalarType? MatMulDType { get; init; }

    /// <summary>
    /// Runs every product on this kernel instead of choosing per product from the CPU and the product's shape; null
    /// (default) chooses. Compiling fails with <see cref="PlatformNotSupportedException"/> when the kernel cannot run here.
    /// </summary>
    public ProductKernel? Kernel { get; init; }

    /// <summary>
    /// Runs the transformer layers' matrix products in int8 (dynamic quantisation) where the product is large enough to gain
    /// from it (at least 256 inputs and outputs): on CPUs with VNNI on oneDNN (<see cref="ProductKernel.OneDnnInt8"/>,
    /// 8-bit activations), on CPUs with AVX2 but no VNNI on AlbertGen's managed int8 kernel
    /// (<see cref="ProductKernel.ManagedInt8"/>, 7-bit activations). Embeddings, LayerNorms, softmax, residual additions
    /// and task heads stay float32, and outputs are float32. Needs a float32 model on a CPU with AVX2; compiling fails with
    /// a one-line <see cref="PlatformNotSupportedException"/> elsewhere. Default false.
    /// </summary>
    /// <remarks>
    /// Weights are int8 per output channel, activations quantised at every call from their own range (one scale and zero
    /// point per product call). Speed and masked-LM agreement with float32 per CPU kind are in <c>benchmarks/README.md</c>.
    /// Cannot be combined with bfloat16 products (<see cref="MatMulDType"/>). To run every product in int8 whatever its
    /// size, or on one kernel, set <see cref="Kernel"/> to <see cref="ProductKernel.OneDnnInt8"/> or
    /// <see cref="ProductKernel.ManagedInt8"/>.
    /// </remarks>
    public bool Int8 { get; init; }

    /// <summary>
    /// Whether the model runs on the fused managed layers: the embeddings from the ids, then whole layers (products,
    /// attention with the mask, LayerNorms, activation, residuals) a step at a time over whole sequences in managed
    /// buffers, then the pooler, with no libtorch call between the inputs and the outputs, which is what small models and
    /// short inputs are bound by. Null (default) runs every call fused where the session can, the per-product kernels
    /// elsewhere (bfloat16 products, int8 products, a forced <see cref="Kernel"/>, a GPU). True insists (compiling fails
    /// with <see cref="PlatformNotSupportedException"/> where it cannot run: a non-float32 model or products, int8
    /// products, a forced <see cref="Kernel"/>, a CPU without AVX2 and FMA); false never runs fused.
    /// <see cref="InferenceSession{TOutput}.FusedLayers"/> tells what a session does.
    /// </summary>
    public bool? FusedLayers { get; init; }

    /// <summary>
    /// The CPU features to choose kernels for; null (default) is <see cref="CpuFeatures.Current"/>. A restricted set
    /// (<see cref="CpuFeatures.Restrict"/>) makes the session choose as a smaller CPU would.
    /// </summary>
    public CpuFeatures? Cpu { get; init; }

    /// <summary>
    /// The device the session runs on (<see cref="AlbertDevice.Parse"/> names one); null (default) is the model's device,
    /// and compiling a model on another device is an <see cref="ArgumentException"/> (move the model first). The hand-picked
    /// CPU kernels (oneDNN prepacked, int8) are chosen only on the CPU; elsewhere every product is libtorch's (cuBLAS on a
    /// GPU, with libtorch's fused attention), and bfloat16/float16 products are native there.
    /// For <see cref="InferenceCompiler.Plan"/> it says which device to plan for (null: the CPU).
    /// </summary>
    public TorchSharp.torch.Device? Device { get; init; }
}
