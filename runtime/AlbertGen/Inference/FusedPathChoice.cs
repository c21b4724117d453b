using AlbertGen.Inference.Kernels;
using AlbertGen.Inference.Managed;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>
/// Whether a session runs its encoder on the fused managed layers (<see cref="FusedEncoder"/>): wherever they can run,
/// every call does, unless <see cref="InferenceOptions.FusedLayers"/> says otherwise.
/// </summary>
/// <remarks>
/// Measured on a quiet 2-core AMD EPYC (Zen 4, AVX-512), the session alone, fused against the per-product path in the same
/// run: the small anchor (hidden 128) 0.39 vs 0.57 ms at 1×16, 1.8 vs 2.9 ms at 1×128, 13.7 vs 26 ms at 8×128, 63 vs
/// 96 ms at 32×128; the base anchor (hidden 768, oneDNN's packed products on the per-product path) 17.9 vs 23.1 ms at 1×16,
/// 119 vs 128 ms at 1×128, 913 vs 899 and 1013 vs 1001 ms at 8×128, 3972 vs 4006 and 3802 vs 3946 ms at 32×128; held to
/// AVX2, level with oneDNN's AVX2 products from 128 rows (which on an AVX2-only Zen 3 ran 99-119 GFLOP/s where ONNX
/// Runtime's ran 125-148, issue #25). One path also keeps one packed copy of the weights instead of two.
/// </remarks>
internal static class FusedPathChoice
{
    /// <summary>Null when a session with these properties can run the fused path; otherwise why not (one clause).</summary>
    /// <remarks>
    /// <c>int8Products</c> says whether <see cref="InferenceOptions.Int8"/> puts any product of the layer on an int8 kernel:
    /// it leaves those too small for int8 in float32, and a model with no product large enough runs fused as in float32.
    /// </remarks>
    public static string? WhyNot(ScalarType modelDType, ScalarType productDType, DeviceType device, InferenceOptions options, CpuFeatures cpu, bool mayDerive, bool int8Products)
    {
        if (device != DeviceType.CPU)
        {
            return $"the model is on {device}; the fused layers run on the CPU";
        }

        if (modelDType != ScalarType.Float32 || productDType != ScalarType.Float32)
        {
            return $"the fused layers run float32 models with float32 products, not {ProductKernels.DTypeName(modelDType)} with {ProductKernels.DTypeName(productDType)} products";
        }

        if ((options.Int8 && int8Products) || options.Kernel is not null)
        {
            return options.Kernel is null ? "int8 products run on the per-product path" : $"every product is forced onto the {options.Kernel} kernel";
        }

        if (ManagedProducts.BestIsa(cpu) is null)
        {
            return $"managed products need AVX2 and FMA or AVX-512; this CPU (as allowed) has: {cpu}";
        }

        return mayDerive ? null : "libtorch's version counters cannot be read here, so the session keeps no packed weights";
    }

    /// <summary>Whether the session runs fused, from the options; throws when the fused path is forced but cannot run.</summary>
    /// <exception cref="PlatformNotSupportedException"><see cref="InferenceOptions.FusedLayers"/> is true and <paramref name="whyNot"/> is not null.</exception>
    public static bool Runs(InferenceOptions options, string? whyNot)
    {
        if (options.FusedLayers == true && whyNot is not null)
        {
            throw new PlatformNotSupportedException($"The fused layers cannot run here: {whyNot}.");
        }

        return whyNot is null && options.FusedLayers != false;
    }

    /// <summary>What <see cref="InferenceSession{TOutput}.FusedLayers"/> says: the path and its products' kernel, or null when the session does not run fused.</summary>
    public static string? Describe(string productKernel, bool runs) => runs ? $"fused-{productKernel} for every call" : null;
}
