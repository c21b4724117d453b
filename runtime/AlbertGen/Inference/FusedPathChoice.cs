using AlbertGen.Inference.Managed;
using AlbertGen.Inference.Kernels;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>
/// Whether a session runs its encoder on the fused managed layers (<see cref="FusedEncoder"/>), and for which calls: the
/// shape is known only at <c>Run</c>, so a session that has the fused path takes it for calls of up to
/// <see cref="MaximumRows"/> rows (batch × sequence) and the per-product path above, unless
/// <see cref="InferenceOptions.FusedLayers"/> says otherwise.
/// </summary>
internal static class FusedPathChoice
{
    /// <summary>
    /// Up to this many rows a call runs fused when the choice is automatic. Provisional: the fused path was measured ahead of
    /// the per-product path at 1×16 on the small anchor (single thread, 1.27 vs 1.66 ms, on a heavily loaded AMD EPYC); larger
    /// shapes were not measured reliably yet, so above this the per-product path keeps running them.
    /// </summary>
    internal const int MaximumRows = 256;

    /// <summary>Null when a session with these properties can run the fused path; otherwise why not (one clause).</summary>
    public static string? WhyNot(ScalarType modelDType, ScalarType productDType, DeviceType device, InferenceOptions options, CpuFeatures cpu, bool mayDerive)
    {
        if (device != DeviceType.CPU)
        {
            return $"the model is on {device}; the fused layers run on the CPU";
        }

        if (modelDType != ScalarType.Float32 || productDType != ScalarType.Float32)
        {
            return $"the fused layers run float32 models with float32 products, not {ProductKernels.DTypeName(modelDType)} with {ProductKernels.DTypeName(productDType)} products";
        }

        if (options.Int8 || options.Kernel is not null)
        {
            return options.Int8 ? "int8 products run on the per-product path" : $"every product is forced onto the {options.Kernel} kernel";
        }

        if (ManagedProducts.BestIsa(cpu) is null)
        {
            return $"managed products need AVX2 and FMA or AVX-512; this CPU (as allowed) has: {cpu}";
        }

        return mayDerive ? null : "libtorch's version counters cannot be read here, so the session keeps no packed weights";
    }

    /// <summary>The rows up to which calls run fused (0: never), from the options; throws when the fused path is forced but cannot run.</summary>
    /// <exception cref="PlatformNotSupportedException"><see cref="InferenceOptions.FusedLayers"/> is true and <paramref name="whyNot"/> is not null.</exception>
    public static int RowsFor(InferenceOptions options, string? whyNot)
    {
        if (options.FusedLayers == true && whyNot is not null)
        {
            throw new PlatformNotSupportedException($"The fused layers cannot run here: {whyNot}.");
        }

        return whyNot is not null || options.FusedLayers == false ? 0
            : options.FusedLayers == true ? int.MaxValue
            : MaximumRows;
    }

    /// <summary>What <see cref="InferenceSession{TOutput}.FusedLayers"/> says: the path, its products' kernel and the calls that take it.</summary>
    public static string? Describe(string productKernel, int maximumRows) => maximumRows == 0 ? null
        : maximumRows == int.MaxValue ? $"fused-{productKernel} for every call"
        : $"fused-{productKernel} for calls of up to {maximumRows} rows (batch × sequence)";
}
