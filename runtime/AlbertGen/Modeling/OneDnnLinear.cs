using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Float32 and bfloat16 linear layers on oneDNN (which libtorch bundles) with weights laid out once for oneDNN
/// ("prepacked"), instead of libtorch's default paths (MKL for float32, oneDNN with plain weights for bfloat16), which lay
/// the weights out again at every call.
/// </summary>
/// <remarks>
/// <para>
/// Why: ALBERT-base's four products timed alone on the AMD CPUs here, prepacked oneDNN against MKL: 16 rows 1.06 vs
/// 2.19 ms per layer (2×), 128 rows 8.2 vs 10.2 ms, 1024 rows 67.7 vs 76.0 ms. Packing the four weights takes 4–15 ms; the
/// encoder packs each distinct layer once (ALBERT's layer steps share their layers) and keeps the packing between passes.
/// Bfloat16 gains too: albert-base with bfloat16 products went from 1.57× to 1.70× ONNX Runtime's float32 throughput at
/// 8×128 tokens.
/// </para>
/// <para>
/// How: TorchSharp wraps neither oneDNN's linear nor its weight packing, but libtorch exports both through its stable C
/// interfaces: <c>aoti_torch_cpu__linear_pointwise</c> (the kernel behind <c>torch.ops.mkldnn._linear_pointwise</c>,
/// with a fused activation) and <c>aoti_torch_call_dispatcher</c>, through which <c>mkldnn::_reorder_linear_weight</c>
/// packs. Both take and return <c>at::Tensor*</c> handles, which is also what TorchSharp's tensor handles are. Every
/// function returns null when oneDNN cannot do the work (entry point missing, call failed), and callers then run
/// libtorch's ordinary <c>linear</c>, so results never depend on it; the two agree to float32 rounding.
/// </para>
/// </remarks>
internal static unsafe partial class OneDnnLinear
{
    private static readonly byte[] None = "none\0"u8.ToArray();
    private static readonly byte[] Gelu = "gelu\0"u8.ToArray();
    private static readonly byte[] Tanh = "tanh\0"u8.ToArray();
    private static readonly byte[] ReorderOperator = "mkldnn::_reorder_linear_weight\0"u8.ToArray();
    private static readonly byte[] DefaultOverload = "\0"u8.ToArray();
    private static volatile bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Whether oneDNN can take <paramref name="weight"/>: float32 or bfloat16 on the CPU, and the entry points load.</summary>
    internal static bool IsUsable(Tensor weight) => !_unavailable && weight.dtype is ScalarType.Float32 or ScalarType.BFloat16 && weight.device_type == DeviceType.CPU;

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

            // A failed call may not have taken the handle it was given; rather than leak one per pass, stop packing.
            _unavailable = true;
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
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
            _unavailable = true;
            return null;
        }
    }

    [LibraryImport("libtorch_cpu", EntryPoint = "aoti_torch_cpu__linear_pointwise")]
    private static partial int LinearPointwise(
        IntPtr input, IntPtr weight, IntPtr* bias, byte* attribute, double** scalars, long scalarCount, byte** algorithm, IntPtr* result);

    [LibraryImport("libtorch_cpu", EntryPoint = "aoti_torch_call_dispatcher")]
    private static partial int CallDispatcher(byte* operatorName, byte* overloadName, ulong* stack);
}
