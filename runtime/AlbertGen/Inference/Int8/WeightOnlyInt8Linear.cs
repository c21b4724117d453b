using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Int8;

/// <summary>
/// Weight-only int8 products: float32 activations times int8 weights with one float32 scale per output row,
/// libtorch's <c>_weight_int8pack_mm</c>. The weights are read as a quarter of the bytes of float32 ones, which is what
/// bounds a product over few rows.
/// </summary>
/// <remarks>
/// TorchSharp does not wrap the operator; libtorch exports it as <c>aoti_torch_cpu__weight_int8pack_mm</c>. Its checks
/// (float32 <c>[M, K]</c> input, int8 <c>[N, K]</c> weight, <c>[N]</c> scales of the input's dtype) are made here
/// first, so the call never fails inside libtorch (which would print the C++ exception to stderr).
/// </remarks>
internal static unsafe partial class WeightOnlyInt8Linear
{
    private static volatile bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Whether the entry point has not (yet) been found missing.</summary>
    public static bool IsAvailable => !_unavailable;

    /// <summary><c>input · (values · scales)ᵀ</c> for a float32 contiguous <c>[M, K]</c> input; null when the kernel is unavailable.</summary>
    public static Tensor? Multiply(Tensor input, Int8Weight weight)
    {
        Tensor values = weight.Values, scales = weight.Scales;
        if (_unavailable || input.dtype != ScalarType.Float32 || input.dim() != 2 || !input.is_contiguous()
            || values.dtype != ScalarType.Int8 || values.dim() != 2 || !values.is_contiguous() || values.shape[1] != input.shape[1]
            || scales.dtype != ScalarType.Float32 || scales.dim() != 1 || scales.shape[0] != values.shape[0])
        {
            return null;
        }

        try
        {
            IntPtr result = IntPtr.Zero;
            int status = WeightInt8PackMM(input.Handle, values.Handle, scales.Handle, &result);
            return status == 0 && result != IntPtr.Zero ? Tensor.UnsafeCreateTensor(result) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return null;
        }
    }

    [LibraryImport("libtorch_cpu", EntryPoint = "aoti_torch_cpu__weight_int8pack_mm")]
    private static partial int WeightInt8PackMM(IntPtr input, IntPtr weight, IntPtr scales, IntPtr* result);
}
