using System.Runtime.Intrinsics.X86;
using AlbertGen.Modeling;

namespace AlbertGen.Inference.Managed;

/// <summary>The instruction set a managed microkernel is written in.</summary>
internal enum ManagedIsa
{
    /// <summary>AVX2 with FMA (256-bit vectors): every x86-64 CPU of the last decade.</summary>
    Avx2,

    /// <summary>AVX-512 F (512-bit vectors).</summary>
    Avx512,
}

/// <summary>Makes the managed float32 products (<see cref="GemmProduct"/>) and says which instruction sets they can use here.</summary>
internal static class ManagedProducts
{
    /// <summary>
    /// The widest instruction set both <paramref name="cpu"/> (which respects <c>ALBERTGEN_CPU_FEATURES</c>) and the JIT
    /// (which respects <c>DOTNET_EnableAVX512F=0</c>) allow, or null when neither AVX2+FMA nor AVX-512 is allowed.
    /// </summary>
    public static ManagedIsa? BestIsa(CpuFeatures cpu) =>
        Allows(cpu, ManagedIsa.Avx512) ? ManagedIsa.Avx512 : Allows(cpu, ManagedIsa.Avx2) ? ManagedIsa.Avx2 : null;

    /// <summary>Whether <paramref name="cpu"/> and the JIT both allow <paramref name="isa"/>.</summary>
    public static bool Allows(CpuFeatures cpu, ManagedIsa isa)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        return isa switch
        {
            // AVX-512 kernels still use AVX2 for the epilogue and bfloat16 widening of 256-bit halves.
            ManagedIsa.Avx512 => cpu.Has("avx512f") && Avx512F.IsSupported && Allows(cpu, ManagedIsa.Avx2),
            ManagedIsa.Avx2 => cpu.HasAvx2Fma && Avx2.IsSupported && Fma.IsSupported,
            _ => false,
        };
    }

    /// <summary>
    /// A managed product <c>activation(input · weightᵀ + bias)</c> over <paramref name="weight"/> <c>[outputs, inputs]</c>
    /// (row-major) and <paramref name="bias"/> <c>[outputs]</c>, packed once; on <paramref name="isa"/> when given (tests
    /// run each variant), otherwise the best <see cref="BestIsa"/> allows.
    /// </summary>
    /// <exception cref="ArgumentException">The weight or bias does not have the stated shape.</exception>
    /// <exception cref="NotSupportedException">The instruction set is not allowed on this CPU (or none is).</exception>
    public static IManagedProduct Create(
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int outputs, int inputs, AlbertActivation? activation, CpuFeatures cpu,
        ManagedWeightStorage storage = ManagedWeightStorage.Float32, ManagedIsa? isa = null)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        if (weight.Length != (long)outputs * inputs)
        {
            throw new ArgumentException($"The weight has {weight.Length} values; a [{outputs}, {inputs}] weight has {(long)outputs * inputs}.", nameof(weight));
        }

        if (bias.Length != outputs)
        {
            throw new ArgumentException($"The bias has {bias.Length} values; the product has {outputs} outputs.", nameof(bias));
        }

        ManagedIsa chosen = isa ?? BestIsa(cpu)
            ?? throw new NotSupportedException($"Managed products need AVX2 and FMA or AVX-512; this CPU (as allowed) has: {cpu}.");
        if (!Allows(cpu, chosen))
        {
            throw new NotSupportedException($"Managed {chosen} products cannot run here: the CPU (as allowed) has {cpu}; the JIT reports AVX2 {Avx2.IsSupported}, FMA {Fma.IsSupported}, AVX-512F {Avx512F.IsSupported}.");
        }

        return new GemmProduct(weight, bias, outputs, inputs, ToManaged(activation), chosen, storage);
    }

    /// <summary>The kernel name of a managed product: <c>managed-avx2-fp32</c>, <c>managed-avx512-bf16w</c> (bfloat16-stored weights, float32 arithmetic).</summary>
    public static string Name(ManagedIsa isa, ManagedWeightStorage storage) =>
        $"managed-{(isa == ManagedIsa.Avx512 ? "avx512" : "avx2")}-{(storage == ManagedWeightStorage.BFloat16 ? "bf16w" : "fp32")}";

    /// <summary>The managed form of a <c>hidden_act</c> activation (none when null).</summary>
    public static ManagedActivation ToManaged(AlbertActivation? activation) => activation switch
    {
        null => ManagedActivation.None,
        AlbertActivation.Gelu => ManagedActivation.GeluErf,
        AlbertActivation.GeluNew or AlbertActivation.GeluFast => ManagedActivation.GeluTanh,
        AlbertActivation.QuickGelu => ManagedActivation.QuickGelu,
        AlbertActivation.Relu => ManagedActivation.Relu,
        AlbertActivation.Silu => ManagedActivation.Silu,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown ALBERT activation."),
    };
}
