using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Float32 linear layers through oneDNN, which libtorch bundles, instead of libtorch's default MKL path, for the shapes
/// where oneDNN is faster, with the GELU fused into the product.
/// </summary>
/// <remarks>
/// <para>
/// Why: on the AMD CPUs measured here, MKL's float32 product for ALBERT's wide projections (Q/K/V: 768 → 2304, feed-forward:
/// 768 → 3072) runs at 150–185 GFLOP/s from 256 rows up, oneDNN's at 190–218 (5–30 % faster); for the narrow ones
/// (768 → 768, 3072 → 768) MKL is as fast or faster, and below 256 rows oneDNN loses (it lays the weights out again at every
/// call). So only the wide products of passes with at least <see cref="MinimumRows"/> rows come here.
/// </para>
/// <para>
/// How: TorchSharp does not wrap oneDNN's linear, but libtorch exports it through the C interface of its ahead-of-time
/// compiler (<c>aoti_torch_cpu__linear_pointwise</c>, the same kernel as <c>torch.ops.mkldnn._linear_pointwise</c>). That
/// interface takes and returns <c>at::Tensor*</c> handles, which is also what TorchSharp's tensor handles are. If the entry
/// point is missing or fails, the caller's ordinary <c>linear</c> runs instead, so results never depend on it being there;
/// numerically the two paths agree to float32 rounding (the fixture parity tests run through both).
/// </para>
/// </remarks>
internal static unsafe partial class OneDnnLinear
{
    /// <summary>Fewest rows (batch × sequence) for which oneDNN is used.</summary>
    internal const long MinimumRows = 256;

    private static readonly byte[] None = "none\0"u8.ToArray();
    private static readonly byte[] Gelu = "gelu\0"u8.ToArray();
    private static readonly byte[] Tanh = "tanh\0"u8.ToArray();
    private static volatile bool _unavailable;

    /// <summary>
    /// <c>activation(input · weightᵀ + bias)</c> through oneDNN, or null where the ordinary path should run: fewer than
    /// <see cref="MinimumRows"/> rows, not float32 on the CPU, an activation oneDNN cannot fuse, or no oneDNN entry point.
    /// </summary>
    /// <param name="input">Input <c>[…, K]</c>.</param>
    /// <param name="weight">Weight <c>[N, K]</c>.</param>
    /// <param name="bias">Bias <c>[N]</c>.</param>
    /// <param name="activation">Activation to fuse, or null for none.</param>
    internal static Tensor? TryForward(Tensor input, Tensor weight, Tensor bias, AlbertActivation? activation = null)
    {
        if (_unavailable || input.dtype != ScalarType.Float32 || weight.dtype != ScalarType.Float32 || bias.dtype != ScalarType.Float32
            || input.device_type != DeviceType.CPU || input.numel() / input.shape[^1] < MinimumRows)
        {
            return null;
        }

        byte[] attribute;
        byte[]? algorithm;
        switch (activation)
        {
            case null:
                (attribute, algorithm) = (None, null);
                break;
            case AlbertActivation.Gelu:
                (attribute, algorithm) = (Gelu, None);
                break;
            case AlbertActivation.GeluNew or AlbertActivation.GeluFast:
                (attribute, algorithm) = (Gelu, Tanh);
                break;
            default:
                return null;
        }

        try
        {
            IntPtr biasHandle = bias.Handle, result = IntPtr.Zero;
            fixed (byte* attributePointer = attribute)
            fixed (byte* algorithmPointer = algorithm)
            {
                byte* algorithmArgument = algorithmPointer;
                int status = LinearPointwise(input.Handle, weight.Handle, &biasHandle, attributePointer, null, 0,
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
}
