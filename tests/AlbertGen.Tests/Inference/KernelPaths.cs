using AlbertGen.Inference;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference;

/// <summary>The session configurations a test runs on, and whether this CPU can run each (the reason when not).</summary>
public static class KernelPaths
{
    /// <summary>Float32 on both kernels and on the fused managed layers, and bfloat16 products on the automatic choice.</summary>
    public static TheoryData<string> All() => new() { "fp32-libtorch", "fp32-onednn", "fp32-fused", "bf16-auto" };

    /// <summary>The options of <paramref name="path"/>, or null with the reason when this CPU cannot run it natively.</summary>
    public static (InferenceOptions? Options, string? Skip) Options(string path) => path switch
    {
        "fp32-libtorch" => (new InferenceOptions { Kernel = ProductKernel.Libtorch }, null),
        "fp32-onednn" => OneDnnRuns(ScalarType.Float32)
            ? (new InferenceOptions { Kernel = ProductKernel.OneDnnPacked }, null)
            : (null, "libtorch here does not export oneDNN's linear entry points"),
        "fp32-managed" => ManagedRuns(CpuFeatures.Current)
            ? (new InferenceOptions { Kernel = ProductKernel.Managed }, null)
            : (null, $"managed kernels need AVX2 and FMA (this CPU has: {CpuFeatures.Current})"),
        "fp32-managed-avx2" => ManagedRuns(CpuFeatures.Current.Restrict(["avx2", "fma"]))
            ? (new InferenceOptions { Kernel = ProductKernel.Managed, Cpu = CpuFeatures.Current.Restrict(["avx2", "fma"]) }, null)
            : (null, $"managed kernels need AVX2 and FMA (this CPU has: {CpuFeatures.Current})"),
        "fp32-fused" => AlbertGen.Inference.Managed.ManagedProducts.BestIsa(CpuFeatures.Current) is not null
            ? (new InferenceOptions { FusedLayers = true }, null)
            : (null, $"managed products need AVX2 and FMA or AVX-512 (this CPU has: {CpuFeatures.Current})"),
        "bf16-auto" => CpuFeatures.Current.HasNativeBFloat16
            ? (new InferenceOptions { MatMulDType = ScalarType.BFloat16 }, null)
            : (null, $"this CPU has no native bfloat16 (it has: {CpuFeatures.Current})"),
        _ => throw new ArgumentOutOfRangeException(nameof(path), path, "unknown kernel path"),
    };

    private static bool ManagedRuns(CpuFeatures cpu) => AlbertGen.Inference.Managed.ManagedProducts.BestIsa(cpu) is not null;

    private static bool OneDnnRuns(ScalarType dtype)
    {
        try
        {
            _ = AlbertGen.Inference.Kernels.ProductKernels.Choose(CpuFeatures.Current, dtype, AlbertGen.Inference.LayerProduct.FeedForward, 8, 8, TorchSharp.DeviceType.CPU, ProductKernel.OneDnnPacked);
            return true;
        }
        catch (PlatformNotSupportedException)
        {
            return false;
        }
    }
}
