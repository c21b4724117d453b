using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Int8;

/// <summary>
/// Where int8 products run and how: oneDNN's int8 kernels (libtorch on Linux x86-64) on a CPU with at least AVX2, with
/// 8-bit activations where the CPU multiplies u8×s8 with VNNI (AVX512-VNNI, AVX-VNNI, AMX-INT8) and 7-bit ones elsewhere.
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

    /// <summary>Why int8 products cannot run here, as the end of a sentence; null when they can.</summary>
    public static string? WhyNot(CpuFeatures cpu, ScalarType modelDType, DeviceType device) =>
        device != DeviceType.CPU ? $"the model is on {device}; int8 products run on the CPU"
        : modelDType != ScalarType.Float32 ? $"the model is {modelDType}; int8 products quantise a float32 model"
        : !OneDnnInt8Linear.IsAvailable ? "libtorch does not export oneDNN's int8 linear here (it does on Linux x86-64)"
        : !cpu.Has("avx2") ? $"oneDNN's int8 kernels need at least AVX2; this CPU has: {cpu}"
        : null;

    /// <summary>
    /// Whether the automatic choice runs a product <c>[outputs, inputs]</c> in int8: on a CPU with VNNI
    /// (without it oneDNN's int8 products were no faster than float32 ones, <c>benchmarks/README.md</c>), and large enough
    /// to gain (<see cref="MinimumSide"/>). Every product of ALBERT's layers gains alike; none is kept float32 for accuracy,
    /// as none alone moved masked-LM agreement much more than another (<c>benchmarks/README.md</c>).
    /// </summary>
    public static bool Chooses(CpuFeatures cpu, long outputs, long inputs) => HasVnni(cpu) && Math.Min(outputs, inputs) >= MinimumSide;

    /// <summary>
    /// Refuses, in one line, int8 options that cannot be honoured: int8 together with other product dtypes, or int8 where
    /// no int8 kernel can run (the reason named). Nothing is checked when int8 was not asked for. Adds a warning to
    /// <paramref name="warnings"/> when int8 was asked for on a CPU where it would not be faster (no VNNI): the session then
    /// runs float32 products.
    /// </summary>
    /// <exception cref="ArgumentException">int8 and <see cref="InferenceOptions.MatMulDType"/> are both set.</exception>
    /// <exception cref="PlatformNotSupportedException">int8 products cannot run here.</exception>
    public static void CheckRequest(InferenceOptions options, CpuFeatures cpu, ScalarType modelDType, DeviceType device, bool mayDeriveWeights, List<string> warnings)
    {
        if (!options.Int8 && options.Kernel != ProductKernel.OneDnnInt8)
        {
            return;
        }

        if (options.MatMulDType is { } other && other != ScalarType.Float32)
        {
            throw new ArgumentException($"int8 products and {other} products (MatMulDType) exclude each other; choose one.", nameof(options));
        }

        string? why = !mayDeriveWeights
            ? "libtorch's version counters cannot be read here, so the session may keep no quantised weights"
            : WhyNot(cpu, modelDType, device);
        if (why is not null)
        {
            throw new PlatformNotSupportedException($"int8 products cannot run here: {why}.");
        }

        if (options.Int8 && options.Kernel is null && !HasVnni(cpu))
        {
            warnings.Add($"int8 products are no faster than float32 on a CPU without VNNI (it has: {cpu}): running float32 products instead (force ProductKernel.OneDnnInt8 to run int8 anyway).");
        }
    }

    /// <summary>Whether the CPU multiplies u8×s8 pairs without saturating (VNNI or AMX-INT8).</summary>
    public static bool HasVnni(CpuFeatures cpu) => cpu.Has("avx512_vnni") || cpu.Has("avx_vnni") || cpu.Has("amx_int8");

    /// <summary>The largest quantised activation value for <paramref name="cpu"/>: 255 with VNNI, 127 without.</summary>
    public static int ActivationLevels(CpuFeatures cpu) => HasVnni(cpu) ? 255 : 127;
}
