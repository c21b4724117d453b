using AlbertGen.Inference.Managed;
using AlbertGen.Inference.Kernels;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>
/// Whether a session runs its encoder on the fused managed layers (<see cref="FusedEncoder"/>), and for which calls: a
/// model none of whose products reaches oneDNN's packing threshold on its smaller side
/// (<see cref="ProductKernels.PackingMinimumSide"/>: the small models, whose per-product kernels would be the same managed
/// ones) runs every call fused; a wider model runs
/// calls of up to <see cref="MaximumRows"/> rows (batch × sequence) fused and the per-product path above, unless
/// <see cref="InferenceOptions.FusedLayers"/> says otherwise.
/// </summary>
/// <remarks>
/// Measured on a quiet 2-core AMD EPYC (Zen 4, AVX-512), <c>probe</c> of the session alone, fused vs per-product path in
/// the same run: the small anchor (hidden 128) 0.39 vs 0.57 ms at 1×16, 1.8 vs 2.9 ms at 1×128, 13.7 vs 26 ms at 8×128,
/// 63 vs 96 ms at 32×128; the base anchor (hidden 768) 17.5 vs 18.8 ms at 1×16 and level at 1×128, then oneDNN's products
/// ahead by 5-7 % from 8×128 (`benchmarks/README.md`).
/// </remarks>
internal static class FusedPathChoice
{
    /// <summary>
    /// Up to this many rows a call of a wide model runs fused when the choice is automatic: where the base anchor's fused
    /// pass was level with or ahead of the per-product path (measured; see the remarks).
    /// </summary>
    internal const int MaximumRows = 256;

    /// <summary>The rows up to which calls run fused when the choice is automatic, for a layer of these widths.</summary>
    public static int AutomaticRows(long hidden, long attention, long intermediate) =>
        Math.Max(Math.Max(Math.Min(3 * attention, hidden), Math.Min(hidden, attention)), Math.Min(intermediate, hidden)) < ProductKernels.PackingMinimumSide
            ? int.MaxValue
            : MaximumRows;

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

    /// <summary>
    /// The rows up to which calls run fused (0: never), from the options and, when they leave it automatic,
    /// <paramref name="automaticRows"/>; throws when the fused path is forced but cannot run.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException"><see cref="InferenceOptions.FusedLayers"/> is true and <paramref name="whyNot"/> is not null.</exception>
    public static int RowsFor(InferenceOptions options, string? whyNot, int automaticRows)
    {
        if (options.FusedLayers == true && whyNot is not null)
        {
            throw new PlatformNotSupportedException($"The fused layers cannot run here: {whyNot}.");
        }

        return whyNot is not null || options.FusedLayers == false ? 0
            : options.FusedLayers == true ? int.MaxValue
            : automaticRows;
    }

    /// <summary>What <see cref="InferenceSession{TOutput}.FusedLayers"/> says: the path, its products' kernel and the calls that take it.</summary>
    public static string? Describe(string productKernel, int maximumRows) => maximumRows == 0 ? null
        : maximumRows == int.MaxValue ? $"fused-{productKernel} for every call"
        : $"fused-{productKernel} for calls of up to {maximumRows} rows (batch × sequence)";
}
