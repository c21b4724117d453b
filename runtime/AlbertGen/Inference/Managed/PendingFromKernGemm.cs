using AlbertGen.Inference.Kernels;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Managed;

// kern-int8: stand-ins for what kern-gemm lands (same names and signatures as in its worktree at 01:30 UTC), so the int8
// product builds before theirs is on main. Deleted at the merge with main once kern-gemm's files are there.

/// <summary>The instruction set a managed microkernel is written in.</summary>
internal enum ManagedIsa
{
    /// <summary>256-bit vectors (AVX2).</summary>
    Avx2,

    /// <summary>512-bit vectors (AVX-512).</summary>
    Avx512,
}

/// <summary>The activations a managed product fuses.</summary>
internal enum ManagedActivation
{
    /// <summary>None.</summary>
    None,

    /// <summary><c>gelu</c>.</summary>
    GeluErf,

    /// <summary><c>gelu_new</c> / <c>gelu_fast</c>.</summary>
    GeluTanh,

    /// <summary><c>quick_gelu</c>.</summary>
    QuickGelu,

    /// <summary><c>relu</c>.</summary>
    Relu,

    /// <summary><c>silu</c>.</summary>
    Silu,
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

/// <summary>Stand-in for kern-gemm's epilogue: activation then addend over a row segment, in place.</summary>
internal static unsafe class GemmEpilogue
{
    public static void Apply(float* row, int count, ManagedActivation activation, float* addend)
    {
        var x = new Span<float>(row, count);
        switch (activation)
        {
            case ManagedActivation.None:
                break;
            default:
                for (int i = 0; i < count; i++)
                {
                    float v = x[i];
                    x[i] = activation switch
                    {
                        ManagedActivation.Relu => MathF.Max(v, 0),
                        ManagedActivation.Silu => v / (1 + MathF.Exp(-v)),
                        ManagedActivation.QuickGelu => v / (1 + MathF.Exp(-1.702f * v)),
                        ManagedActivation.GeluTanh => v / (1 + MathF.Exp(-2 * 0.7978845608f * (v + 0.044715f * v * v * v))),
                        _ => (float)(0.5 * v * (1 + Erf(v * 0.7071067811865476))),
                    };
                }

                break;
        }

        if (addend is not null)
        {
            for (int i = 0; i < count; i++)
            {
                x[i] += addend[i];
            }
        }
    }

    private static double Erf(double value)
    {
        double z = Math.Abs(value);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return value >= 0 ? 1 - erfc : erfc - 1;
    }
}

/// <summary>Stand-in for kern-gemm's tensor wrapper: a managed product as a per-product kernel (float32 tensors in and out).</summary>
internal sealed unsafe class ManagedProductKernel : IProductKernel
{
    public ManagedProductKernel(IManagedProduct product) => Product = product;

    /// <summary>The product this kernel drives (owned: disposed with the kernel).</summary>
    internal IManagedProduct Product { get; }

    public string Name => Product.Name;

    public ScalarType DType => ScalarType.Float32;

    public Tensor Forward(Tensor input)
    {
        if (input.dtype != ScalarType.Float32 || input.device_type != DeviceType.CPU || input.shape[^1] != Product.Inputs)
        {
            throw new ArgumentException($"{Name} takes float32 CPU input [..., {Product.Inputs}], got {input.dtype} [{string.Join(", ", input.shape)}] on {input.device_type}.", nameof(input));
        }

        long[] shape = [.. input.shape[..^1], Product.Outputs];
        using Tensor rows = input.reshape(-1, Product.Inputs).contiguous();
        Tensor output = empty(shape, ScalarType.Float32);
        int count = checked((int)rows.shape[0]);
        fixed (byte* from = rows.bytes)
        fixed (byte* to = output.bytes)
        {
            ManagedProductRunner.Run(Product, (float*)from, Product.Inputs, count, (float*)to, Product.Outputs);
        }

        return output;
    }

    public void Dispose() => Product.Dispose();
}
