using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

using AlbertGen.Modeling;

namespace AlbertGen.Inference.Kernels;

/// <summary>
/// Float32 and bfloat16 linear layers on oneDNN (which libtorch bundles) with weights laid out once for oneDNN
/// ("prepacked"), instead of libtorch's default paths (MKL for float32, oneDNN with plain weights for bfloat16), which lay
/// the weights out again at every call.
/// </summary>
/// <remarks>
/// <para>
/// Why: libtorch's default paths lay the weights out again at every call; a session packs each distinct layer's weights
/// once (ALBERT's layer steps share their layers). <c>benchmarks/README.md</c> has the measurements.
/// </para>
/// <para>
/// How: TorchSharp wraps neither oneDNN's linear nor its weight packing, but libtorch exports both through its stable C
/// interfaces: <c>aoti_torch_cpu__linear_pointwise</c> (the kernel behind <c>torch.ops.mkldnn._linear_pointwise</c>,
/// with a fused activation) and <c>aoti_torch_call_dispatcher</c>, through which <c>mkldnn::_reorder_linear_weight</c>
/// packs. Both take and return <c>at::Tensor*</c> handles, which is also what TorchSharp's tensor handles are. The entry
/// points are looked up once (<see cref="IsAvailable"/>); a call that fails returns null and changes nothing for other
/// calls. Callers decide from the CPU's features (<see cref="CpuFeatures"/>) whether to call at all: libtorch prints its
/// own error to stderr when a call fails, so a path the CPU cannot run is never tried.
/// </para>
/// </remarks>
internal static unsafe partial class OneDnnLinear
{
    private static readonly byte[] None = "none\0"u8.ToArray();
    private static readonly byte[] Gelu = "gelu\0"u8.ToArray();
    private static readonly byte[] Tanh = "tanh\0"u8.ToArray();
    private static readonly byte[] ReorderOperator = "mkldnn::_reorder_linear_weight\0"u8.ToArray();
    private static readonly byte[] DefaultOverload = "\0"u8.ToArray();
    private static readonly Lazy<bool> EntryPoints = new(() =>
        OperatingSystem.IsLinux() && NativeExports.Has("libtorch_cpu", "aoti_torch_cpu__linear_pointwise", "aoti_torch_call_dispatcher"));

    /// <summary>Whether libtorch exports the entry points (looked up once).</summary>
    internal static bool IsAvailable => EntryPoints.Value;

    /// <summary>Whether oneDNN can take <paramref name="weight"/>: float32 or bfloat16 on the CPU, and the entry points exist.</summary>
    internal static bool IsUsable(Tensor weight) => IsAvailable && weight.dtype is ScalarType.Float32 or ScalarType.BFloat16 && weight.device_type == DeviceType.CPU;

    /// <summary>Whether <see cref="Forward"/> can fuse <paramref name="activation"/> into the product.</summary>
    internal static bool CanFuse(AlbertActivation activation) => activation is AlbertActivation.Gelu or AlbertActivation.GeluNew or AlbertActivation.GeluFast;

    /// <summary>The weight <c>[N, K]</c> laid out for oneDNN (an opaque oneDNN tensor), or null when oneDNN is not available.</summary>
    internal static Tensor? Pack(Tensor weight)
    {
        if (!IsUsable(weight))
        {
            return null;
        }

        try
        {
            // The dispatcher takes ownership of the handles on its stack, so it gets a handle of its own to the weight.
            using Tensor alias = weight.alias();
            ulong* stack = stackalloc ulong[2];
            stack[0] = (ulong)alias.DecoupleFromNativeHandle();
            stack[1] = 0; // batch_size: None
            fixed (byte* name = ReorderOperator)
            fixed (byte* overload = DefaultOverload)
            {
                if (CallDispatcher(name, overload, stack) == 0 && stack[0] != 0)
                {
                    return Tensor.UnsafeCreateTensor((IntPtr)stack[0]);
                }
            }

            // A failed call may keep the handle it was given (one reference to the weight); packing happens once per
            // session, and only where the CPU's features say it works.
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// <c>activation(input · weightᵀ + bias)</c> with a weight from <see cref="Pack"/>, or null when the call failed. Fusable
    /// activations only (<see cref="CanFuse"/>); null for none.
    /// </summary>
    internal static Tensor? Forward(Tensor input, Tensor packedWeight, Tensor bias, AlbertActivation? activation)
    {
        (byte[] attribute, byte[]? algorithm) = activation switch
        {
            null => (None, null),
            AlbertActivation.Gelu => (Gelu, None),
            AlbertActivation.GeluNew or AlbertActivation.GeluFast => (Gelu, Tanh),
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "oneDNN fuses only GELU activations."),
        };

        try
        {
            IntPtr biasHandle = bias.Handle, result = IntPtr.Zero;
            fixed (byte* attributePointer = attribute)
            fixed (byte* algorithmPointer = algorithm)
            {
                byte* algorithmArgument = algorithmPointer;
                int status = LinearPointwise(input.Handle, packedWeight.Handle, &biasHandle, attributePointer, null, 0,
                    algorithm is null ? null : &algorithmArgument, &result);
                return status == 0 && result != IntPtr.Zero ? Tensor.UnsafeCreateTensor(result) : null;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport("libtorch_cpu", EntryPoint = "aoti_torch_cpu__linear_pointwise")]
    private static partial int LinearPointwise(
        IntPtr input, IntPtr weight, IntPtr* bias, byte* attribute, double** scalars, long scalarCount, byte** algorithm, IntPtr* result);

    [LibraryImport("libtorch_cpu", EntryPoint = "aoti_torch_call_dispatcher")]
    private static partial int CallDispatcher(byte* operatorName, byte* overloadName, ulong* stack);
}
