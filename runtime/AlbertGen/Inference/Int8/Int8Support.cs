using AlbertGen.Inference.Managed;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Int8;

/// <summary>
/// Where int8 products run and how: on a CPU with VNNI (AVX512-VNNI, AVX-VNNI, AMX-INT8), oneDNN's int8 kernels (libtorch on
/// Linux x86-64) with 8-bit activations; on a CPU with AVX2 but no VNNI, the managed int8 product
/// (<see cref="Managed.ManagedInt8Product"/>, 7-bit activations), because oneDNN's AVX2 int8 code is no faster than float32 there.
/// </summary>
internal static class Int8Support
{
    /// <summary>
    /// Smallest side (inputs or outputs) of a product that the automatic choice runs in int8. A judgement between two
    /// measurements in <c>benchmarks/README.md</c>, not a measured crossover: albert-base's 768-wide products gain several
    /// times, while products as small as the test fixtures' (32 wide) are dominated by the per-call work around the product
    /// (finding the activations' range, quantising them) and lose accuracy.
    /// </summary>
    internal const long MinimumSide = 256;

    /// <summary>Why no int8 product (neither kernel) can run here, as the end of a sentence; null when one can.</summary>
    public static string? WhyNot(CpuFeatures cpu, ScalarType modelDType, DeviceType device) =>
        WhyNotModel(modelDType, device)
        ?? (WhyNot(ProductKernel.ManagedInt8, cpu, modelDType, device) is null || WhyNot(ProductKernel.OneDnnInt8, cpu, modelDType, device) is null ? null
            : $"int8 products need at least AVX2 (and the runtime's support of it); this CPU has: {cpu}");

    /// <summary>Why the int8 kernel <paramref name="kernel"/> cannot run here, as the end of a sentence; null when it can.</summary>
    public static string? WhyNot(ProductKernel kernel, CpuFeatures cpu, ScalarType modelDType, DeviceType device) =>
        WhyNotModel(modelDType, device) ?? kernel switch
        {
            ProductKernel.OneDnnInt8 when !OneDnnInt8Linear.IsAvailable => "libtorch does not export oneDNN's int8 linear here (it does on Linux x86-64)",
            ProductKernel.OneDnnInt8 when !cpu.Has("avx2") => $"oneDNN's int8 kernels need at least AVX2; this CPU has: {cpu}",
            ProductKernel.ManagedInt8 when ManagedInt8Product.Best(cpu) is null =>
                $"the managed int8 kernel needs AVX2 allowed by both the CPU's features and the .NET runtime (DOTNET_EnableAVX2); this CPU has: {cpu}",
            _ => null,
        };

    private static string? WhyNotModel(ScalarType modelDType, DeviceType device) =>
        device != DeviceType.CPU ? $"the model is on {device}; int8 products run on the CPU"
        : modelDType != ScalarType.Float32 ? $"the model is {modelDType}; int8 products quantise a float32 model"
        : null;

    /// <summary>
    /// The int8 kernel the automatic choice runs on <paramref name="cpu"/>: oneDNN's where the CPU has VNNI (8-bit
    /// activations, four multiply-adds per instruction, which .NET 10 does not expose for AVX512-VNNI), the managed one
    /// elsewhere; null when neither runs.
    /// </summary>
    public static ProductKernel? Kernel(CpuFeatures cpu)
    {
        bool oneDnn = WhyNot(ProductKernel.OneDnnInt8, cpu, ScalarType.Float32, DeviceType.CPU) is null;
        bool managed = WhyNot(ProductKernel.ManagedInt8, cpu, ScalarType.Float32, DeviceType.CPU) is null;
        return HasVnni(cpu) && oneDnn ? ProductKernel.OneDnnInt8 : managed ? ProductKernel.ManagedInt8 : oneDnn ? ProductKernel.OneDnnInt8 : null;
    }

    /// <summary>
    /// Whether the automatic choice runs a product <c>[outputs, inputs]</c> in int8: when an int8 kernel
    /// runs here (<see cref="Kernel"/>) and the product is large enough to gain (<see cref="MinimumSide"/>). Every product
    /// of ALBERT's layers gains alike (none is kept float32 for accuracy: each one alone moved masked-LM agreement by about
    /// one point).
    /// </summary>
    public static bool Chooses(CpuFeatures cpu, long outputs, long inputs) => Kernel(cpu) is not null && Math.Min(outputs, inputs) >= MinimumSide;

    /// <summary>
    /// Refuses, in one line, int8 options that cannot be honoured: int8 together with other product dtypes, or int8 where
    /// no int8 kernel (or not the forced one) can run (the reason named). Nothing is checked when int8 was not asked for.
    /// </summary>
    /// <exception cref="ArgumentException">int8 and <see cref="InferenceOptions.MatMulDType"/> are both set.</exception>
    /// <exception cref="PlatformNotSupportedException">int8 products cannot run here.</exception>
    public static void CheckRequest(InferenceOptions options, CpuFeatures cpu, ScalarType modelDType, DeviceType device, bool mayDeriveWeights)
    {
        bool forced = options.Kernel is ProductKernel.OneDnnInt8 or ProductKernel.ManagedInt8;
        if (!options.Int8 && !forced)
        {
            return;
        }

        if (options.MatMulDType is { } other && other != ScalarType.Float32)
        {
            throw new ArgumentException($"int8 products and {other} products (MatMulDType) exclude each other; choose one.", nameof(options));
        }

        string? why = !mayDeriveWeights
            ? "libtorch's version counters cannot be read here, so the session may keep no quantised weights"
            : forced ? WhyNot(options.Kernel!.Value, cpu, modelDType, device) : WhyNot(cpu, modelDType, device);
        if (why is not null)
        {
            throw new PlatformNotSupportedException($"int8 products cannot run here: {why}.");
        }
    }

    /// <summary>Whether the CPU multiplies u8×s8 pairs without saturating (VNNI or AMX-INT8).</summary>
    public static bool HasVnni(CpuFeatures cpu) => cpu.Has("avx512_vnni") || cpu.Has("avx_vnni") || cpu.Has("amx_int8");

    /// <summary>The largest quantised activation value of oneDNN's int8 kernel on <paramref name="cpu"/>: 255 with VNNI, 127 without.</summary>
    public static int ActivationLevels(CpuFeatures cpu) => HasVnni(cpu) ? 255 : 127;
}
