using AlbertGen.Inference.Int8;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Kernels;

/// <summary>
/// Chooses each product's kernel from the CPU's features, the product's shape and the options, and makes it. The one
/// place that knows every kernel: a new kernel is a new <see cref="ProductKernel"/> value, a rule in <see cref="Choose"/>
/// and a case in <see cref="Create"/>.
/// </summary>
internal static class ProductKernels
{
    /// <summary>
    /// Smallest side (inputs or outputs) of a product for which the automatic choice packs it for oneDNN: below it,
    /// packing and oneDNN's per-call overhead outweigh what the packed layout saves (<c>benchmarks/README.md</c>).
    /// </summary>
    internal const long PackingMinimumSide = 512;

    /// <summary>
    /// The kernel for <paramref name="product"/> <c>[outputs, inputs]</c> in <paramref name="dtype"/> on <paramref name="device"/>;
    /// with <paramref name="int8"/>, int8 where <see cref="Int8Support.Chooses"/> says it gains.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">A forced kernel, or int8, cannot run this product on this CPU.</exception>
    public static ProductKernel Choose(CpuFeatures cpu, ScalarType dtype, LayerProduct product, long outputs, long inputs, DeviceType device, ProductKernel? forced, bool int8 = false)
    {
        if (forced == ProductKernel.OneDnnInt8 || (forced is null && int8))
        {
            if (Int8Support.WhyNot(cpu, dtype, device) is { } why)
            {
                throw new PlatformNotSupportedException($"int8 products cannot run here: {why}.");
            }

            if (forced is not null || Int8Support.Chooses(cpu, outputs, inputs))
            {
                return ProductKernel.OneDnnInt8;
            }
        }

        bool oneDnnRuns = device == DeviceType.CPU && OneDnnLinear.IsAvailable && dtype switch
        {
            ScalarType.Float32 => true,
            ScalarType.BFloat16 => cpu.HasNativeBFloat16,
            _ => false,
        };

        if (forced is { } kernel)
        {
            if (kernel == ProductKernel.OneDnnPacked && !oneDnnRuns)
            {
                throw new PlatformNotSupportedException(
                    $"The {kernel} kernel cannot run {DTypeName(dtype)} products here ({WhyNotOneDnn(cpu, dtype, device)}); use ProductKernel.Libtorch or no forced kernel.");
            }

            return kernel;
        }

        bool worthPacking = Math.Min(outputs, inputs) >= PackingMinimumSide;
        bool fastOnThisCpu = dtype == ScalarType.BFloat16 || cpu.HasAvx2Fma;
        return oneDnnRuns && worthPacking && fastOnThisCpu ? ProductKernel.OneDnnPacked : ProductKernel.Libtorch;
    }

    /// <summary>
    /// Makes the kernel <paramref name="kind"/> for <paramref name="cpu"/> (default <see cref="CpuFeatures.Current"/>); a packing that fails falls back to float32 oneDNN
    /// (for int8) or libtorch for this product only.
    /// </summary>
    public static IProductKernel Create(ProductKernel kind, ProductWeights weights, ScalarType dtype, AlbertActivation? activation, CpuFeatures? cpu = null)
    {
        cpu ??= CpuFeatures.Current;
        if (kind == ProductKernel.OneDnnInt8)
        {
            if (OneDnnInt8Kernel.TryCreate(weights.Weight, weights.Bias, activation, Int8Granularity.PerChannel, Int8Support.ActivationLevels(cpu)) is { } int8)
            {
                weights.DisposeIfOwned(); // the kernel keeps its own quantised copy
                return int8;
            }

            kind = cpu.HasAvx2Fma ? ProductKernel.OneDnnPacked : ProductKernel.Libtorch;
        }

        if (kind == ProductKernel.OneDnnPacked && OneDnnPackedKernel.TryCreate(weights, dtype, activation) is { } packed)
        {
            return packed;
        }

        return new LibTorchKernel(weights, dtype, activation);
    }

    /// <summary>The name a kernel of kind <paramref name="kind"/> in <paramref name="dtype"/> has (<see cref="IProductKernel.Name"/>).</summary>
    public static string Name(ProductKernel kind, ScalarType dtype, int activationLevels = 255) => kind switch
    {
        ProductKernel.OneDnnPacked => "onednn-packed-" + DTypeName(dtype),
        ProductKernel.OneDnnInt8 => OneDnnInt8Kernel.KernelName(activationLevels),
        _ => "libtorch-" + DTypeName(dtype),
    };

    /// <summary>Short dtype name used in kernel names: <c>fp32</c>, <c>bf16</c>, <c>fp16</c>, <c>fp64</c>.</summary>
    public static string DTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "fp32",
        ScalarType.BFloat16 => "bf16",
        ScalarType.Float16 => "fp16",
        ScalarType.Float64 => "fp64",
        _ => dtype.ToString().ToLowerInvariant(),
    };

    private static string WhyNotOneDnn(CpuFeatures cpu, ScalarType dtype, DeviceType device) =>
        device != DeviceType.CPU ? $"the model is on {device}, oneDNN runs on the CPU"
        : !OneDnnLinear.IsAvailable ? "libtorch does not export oneDNN's linear entry points"
        : dtype == ScalarType.BFloat16 ? $"the CPU has no native bfloat16; it has: {cpu}"
        : $"oneDNN products are float32 or bfloat16, not {dtype}";
}
