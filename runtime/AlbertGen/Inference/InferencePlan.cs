using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>What a session would run for a configuration on this CPU (<see cref="InferenceCompiler.Plan"/>).</summary>
/// <param name="Cpu">The CPU features the kernels are chosen for.</param>
/// <param name="MatMulDType">The dtype of the layers' products.</param>
/// <param name="Products">Every product's kernel.</param>
/// <param name="Warnings">What would differ from what was asked, one line each.</param>
public sealed record InferencePlan(CpuFeatures Cpu, ScalarType MatMulDType, IReadOnlyList<ProductKernelChoice> Products, IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// The fused layers and the calls that take them (as <see cref="InferenceSession{TOutput}.FusedLayers"/>), e.g.
    /// <c>fused-managed-avx512-fp32 for every call</c>; null when no call would.
    /// </summary>
    public string? FusedLayers { get; init; }
}
