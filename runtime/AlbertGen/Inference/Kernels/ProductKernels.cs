using AlbertGen.Inference.Int8;
using AlbertGen.Inference.Managed;
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
    /// <remarks>
    /// With <paramref name="storage"/> <see cref="ManagedWeightStorage.BFloat16"/> (bfloat16 requested on a CPU without
    /// native bfloat16, see <see cref="ManagedWeightStorageFor"/>) every product runs managed on bfloat16-stored weights.
    /// </remarks>
    /// <exception cref="PlatformNotSupportedException">A forced kernel, or int8, cannot run this product on this CPU.</exception>
    public static ProductKernel Choose(
        CpuFeatures cpu, ScalarType dtype, LayerProduct product, long outputs, long inputs, DeviceType device, ProductKernel? forced, bool int8 = false,
        ManagedWeightStorage storage = ManagedWeightStorage.Float32)
    {
        if (forced is ProductKernel.OneDnnInt8 or ProductKernel.ManagedInt8)
        {
            return Int8Support.WhyNot(forced.Value, cpu, dtype, device) is { } why
                ? throw new PlatformNotSupportedException($"int8 products cannot run here: {why}.")
                : forced.Value;
        }

        if (forced is null && int8)
        {
            if (Int8Support.WhyNot(cpu, dtype, device) is { } why)
            {
                throw new PlatformNotSupportedException($"int8 products cannot run here: {why}.");
            }

            if (Int8Support.Chooses(cpu, outputs, inputs))
            {
                return Int8Support.Kernel(cpu)!.Value;
            }
        }

        bool oneDnnRuns = device == DeviceType.CPU && OneDnnLinear.IsAvailable && dtype switch
        {
            ScalarType.Float32 => true,
            ScalarType.BFloat16 => cpu.HasNativeBFloat16,
            _ => false,
        };

        string? whyNotManaged = WhyNotManaged(cpu, dtype, device);
        if (forced == ProductKernel.Managed || (forced is null && storage == ManagedWeightStorage.BFloat16))
        {
            return whyNotManaged is null
                ? ProductKernel.Managed
                : throw new PlatformNotSupportedException($"The {ProductKernel.Managed} kernel cannot run here: {whyNotManaged}; use ProductKernel.Libtorch or no forced kernel.");
        }

        if (forced is { } kernel)
        {
            if (kernel == ProductKernel.OneDnnPacked && !oneDnnRuns)
            {
                throw new PlatformNotSupportedException(
                    $"The {kernel} kernel cannot run {DTypeName(dtype)} products here ({WhyNotOneDnn(cpu, dtype, device)}); use ProductKernel.Libtorch or no forced kernel.");
            }

            return kernel;
        }

        if (whyNotManaged is null && dtype == ScalarType.Float32 && ManagedWins(cpu, outputs, inputs))
        {
            return ProductKernel.Managed;
        }

        bool worthPacking = Math.Min(outputs, inputs) >= PackingMinimumSide;
        bool fastOnThisCpu = dtype == ScalarType.BFloat16 || cpu.HasAvx2Fma;
        return oneDnnRuns && worthPacking && fastOnThisCpu ? ProductKernel.OneDnnPacked : ProductKernel.Libtorch;
    }

    /// <summary>
    /// Makes the kernel <paramref name="kind"/> for <paramref name="cpu"/> (default <see cref="CpuFeatures.Current"/>); a packing that fails falls back to float32 oneDNN
    /// (for int8) or libtorch for this product only.
    /// </summary>
    public static IProductKernel Create(
        ProductKernel kind, ProductWeights weights, ScalarType dtype, AlbertActivation? activation, CpuFeatures? cpu = null,
        ManagedWeightStorage storage = ManagedWeightStorage.Float32)
    {
        cpu ??= CpuFeatures.Current;
        if (kind == ProductKernel.Managed)
        {
            return CreateManaged(weights, activation, cpu, storage);
        }

        if (kind == ProductKernel.OneDnnInt8)
        {
            if (OneDnnInt8Kernel.TryCreate(weights.Weight, weights.Bias, activation, Int8Granularity.PerChannel, Int8Support.ActivationLevels(cpu)) is { } int8)
            {
                weights.DisposeIfOwned(); // the kernel keeps its own quantised copy
                return int8;
            }

            kind = cpu.HasAvx2Fma ? ProductKernel.OneDnnPacked : ProductKernel.Libtorch;
        }

        if (kind == ProductKernel.ManagedInt8)
        {
            ManagedIsa isa = ManagedInt8Product.Best(cpu)
                ?? throw new PlatformNotSupportedException($"The managed int8 kernel needs AVX2 (allowed by the CPU's features and the .NET runtime); this CPU has: {cpu}.");
            var managed = new ManagedProductKernel(ManagedInt8Product.Create(weights.Weight, weights.Bias, activation, isa));
            weights.DisposeIfOwned(); // the product keeps its own quantised copy
            return managed;
        }

        if (kind == ProductKernel.OneDnnPacked && OneDnnPackedKernel.TryCreate(weights, dtype, activation) is { } packed)
        {
            return packed;
        }

        return new LibTorchKernel(weights, dtype, activation);
    }

    /// <summary>
    /// The name a kernel of kind <paramref name="kind"/> in <paramref name="dtype"/> has (<see cref="IProductKernel.Name"/>)
    /// on <paramref name="cpu"/> (default <see cref="CpuFeatures.Current"/>); a managed one's names its instruction set and <paramref name="storage"/>.
    /// </summary>
    public static string Name(ProductKernel kind, ScalarType dtype, CpuFeatures? cpu = null, ManagedWeightStorage storage = ManagedWeightStorage.Float32) => kind switch
    {
        ProductKernel.Managed => ManagedProducts.Name(ManagedProducts.BestIsa(cpu ?? CpuFeatures.Current) ?? ManagedIsa.Avx2, storage),
        ProductKernel.OneDnnPacked => "onednn-packed-" + DTypeName(dtype),
        ProductKernel.OneDnnInt8 => OneDnnInt8Kernel.KernelName(Int8Support.ActivationLevels(cpu ?? CpuFeatures.Current)),
        ProductKernel.ManagedInt8 => ManagedInt8Product.Best(cpu ?? CpuFeatures.Current) is { } isa ? ManagedInt8Product.KernelName(isa) : "managed-int8",
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

    /// <summary>
    /// How a session stores the weights of managed products when it asked for <paramref name="requested"/> products:
    /// bfloat16 when bfloat16 was asked for on a CPU without native bfloat16 (float32 arithmetic on half the weight bytes)
    /// and the managed kernels run here (and no other kernel is forced), float32 otherwise.
    /// </summary>
    public static ManagedWeightStorage ManagedWeightStorageFor(ScalarType? requested, ScalarType model, CpuFeatures cpu, DeviceType device, ProductKernel? forced) =>
        requested == ScalarType.BFloat16 && model == ScalarType.Float32 && !cpu.HasNativeBFloat16 && forced is (null or ProductKernel.Managed)
        && WhyNotManaged(cpu, ScalarType.Float32, device) is null
            ? ManagedWeightStorage.BFloat16
            : ManagedWeightStorage.Float32;

    /// <summary>
    /// Whether the automatic choice runs a float32 product <c>[outputs, inputs]</c> on the managed kernel: the products too
    /// small for oneDNN's packing (which libtorch ran before), on AVX2 and AVX-512 alike. Measured per shape of the small
    /// and base anchors (<c>benchmarks/README.md</c>, "Managed kernels"): at 16 rows the managed kernel beat libtorch and
    /// oneDNN on every small-anchor product; on albert-base's products oneDNN's packed kernels stayed ahead from 128 rows on.
    /// </summary>
    internal static bool ManagedWins(CpuFeatures cpu, long outputs, long inputs) =>
        ManagedProducts.BestIsa(cpu) is not null && Math.Min(outputs, inputs) < PackingMinimumSide;

    private static IProductKernel CreateManaged(ProductWeights weights, AlbertActivation? activation, CpuFeatures cpu, ManagedWeightStorage storage)
    {
        IManagedProduct product;
        using (var scope = NewDisposeScope())
        {
            Tensor weight = weights.Weight.to(ScalarType.Float32).contiguous(), bias = weights.Bias.to(ScalarType.Float32).contiguous();
            unsafe
            {
                var weightValues = new ReadOnlySpan<float>(TensorData.Float32(weight, "a product's weight"), checked((int)weight.numel()));
                var biasValues = new ReadOnlySpan<float>(TensorData.Float32(bias, "a product's bias"), checked((int)bias.numel()));
                product = ManagedProducts.Create(weightValues, biasValues, (int)weight.shape[0], (int)weight.shape[1], activation, cpu, storage);
            }
        }

        var kernel = new ManagedProductKernel(product);
        weights.DisposeIfOwned(); // the kernel keeps its own packed copy
        return kernel;
    }

    private static string? WhyNotManaged(CpuFeatures cpu, ScalarType dtype, DeviceType device) =>
        device != DeviceType.CPU ? $"the model is on {device}, managed kernels run on the CPU"
        : dtype != ScalarType.Float32 ? $"managed products take float32 activations, not {DTypeName(dtype)}"
        : ManagedProducts.BestIsa(cpu) is null ? $"managed products need AVX2 and FMA (or AVX-512) allowed by the CPU and the JIT; the CPU has: {cpu}"
        : !TensorData.IsAvailable ? "libtorch does not export aoti_torch_get_data_ptr"
        : null;

    private static string WhyNotOneDnn(CpuFeatures cpu, ScalarType dtype, DeviceType device) =>
        device != DeviceType.CPU ? $"the model is on {device}, oneDNN runs on the CPU"
        : !OneDnnLinear.IsAvailable ? "libtorch does not export oneDNN's linear entry points"
        : dtype == ScalarType.BFloat16 ? $"the CPU has no native bfloat16; it has: {cpu}"
        : $"oneDNN products are float32 or bfloat16, not {dtype}";
}
