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

    /// <summary>
    /// int8 products on oneDNN (<see cref="InferenceOptions.Int8"/>): weights int8 per output channel and laid out once per
    /// session, activations quantised to 8 bits at every call from their own range (7 bits on CPUs without VNNI), float32
    /// in and out; needs AVX2 and a float32 model; Linux x86-64 only.
    /// </summary>
    OneDnnInt8,

    /// <summary>
    /// AlbertGen's own float32 products (.NET hardware intrinsics, AVX2+FMA or AVX-512): weights packed once per session
    /// for register-blocked microkernels, bias and activation fused, the work split across cores by the kernel itself.
    /// Chosen where it beats libtorch's and oneDNN's products (small shapes, few rows); with bfloat16 requested on a CPU
    /// without native bfloat16 it stores the weights in bfloat16 (half the bytes to read) and computes in float32. Needs
    /// AVX2 and FMA, a float32 model and the CPU.
    /// </summary>
    Managed,

    /// <summary>
    /// int8 products in AlbertGen's own managed code (<see cref="InferenceOptions.Int8"/>'s choice on CPUs without VNNI):
    /// weights int8 per output channel, laid out once per session; activations quantised to 7 bits (0…127) at every call
    /// from their own range, so that AVX2's u8×s8 multiply-add (<c>vpmaddubsw</c>) never saturates; int32 sums, float32 in
    /// and out. Runs on 512-bit vectors where AVX512BW is allowed, 256-bit ones elsewhere; needs AVX2 and a float32 model on
    /// the CPU; any operating system.
    /// </summary>
    ManagedInt8,
}
