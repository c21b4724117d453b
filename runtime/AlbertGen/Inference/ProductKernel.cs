namespace AlbertGen.Inference;

/// <summary>The kernels a session can run a layer's matrix products on (see <see cref="InferenceOptions.Kernel"/>).</summary>
public enum ProductKernel
{
    /// <summary>libtorch's own <c>linear</c> on the weights as they are (converted to the products' dtype if needed): runs everywhere.</summary>
    Libtorch,

    /// <summary>
    /// oneDNN's linear on weights laid out for it once per session, with GELU fused into the feed-forward product: float32
    /// on CPUs with AVX2 and FMA, bfloat16 on CPUs with native bfloat16 (<see cref="CpuFeatures.HasNativeBFloat16"/>); Linux only.
    /// </summary>
    OneDnnPacked,
}
