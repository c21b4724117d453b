using AlbertGen.Modeling;

namespace AlbertGen.Inference.Managed;

// kern-int8: stand-ins for two names of kern-gemm's ManagedProducts.cs (same signatures as its commit dc2132f), so the int8
// product builds before theirs is on main. Deleted at the merge with main once kern-gemm's files are there.

/// <summary>The instruction set a managed microkernel is written in.</summary>
internal enum ManagedIsa
{
    /// <summary>256-bit vectors (AVX2).</summary>
    Avx2,

    /// <summary>512-bit vectors (AVX-512).</summary>
    Avx512,
}

/// <summary>Stand-in for kern-gemm's factory: only the activation mapping.</summary>
internal static class ManagedProducts
{
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
