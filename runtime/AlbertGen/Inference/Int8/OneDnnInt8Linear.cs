using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Int8;

/// <summary>
/// Int8 linear layers on oneDNN (which libtorch bundles): the weight int8 per channel and laid out for oneDNN once, the
/// activations quantised to uint8 at every call from their own range (dynamic quantisation, as ONNX Runtime's
/// <c>DynamicQuantizeMatMul</c> does), int32 accumulation, bias and an optional GELU applied by oneDNN on the float32
/// result. oneDNN picks its int8 code from the CPU: AMX, AVX512-VNNI, AVX-VNNI or AVX2.
/// </summary>
/// <remarks>
/// TorchSharp wraps none of this; libtorch exports it for AOTInductor's x86 quantisation through its stable C
/// interfaces: the dispatcher (<c>aoti_torch_call_dispatcher</c>) for <c>onednn::qlinear_prepack</c>, and
/// <c>aoti_torch_cpu__qlinear_pointwise_tensor</c> for the product. Both report a failure by returning non-zero after
/// printing the C++ exception to stderr, so every precondition libtorch checks is checked here first, and nothing is
/// called that could fail; a missing entry point (looked up once, <see cref="IsAvailable"/>) disables the kernel.
/// </remarks>
internal static unsafe partial class OneDnnInt8Linear
{
    private const int Float32Code = 6; // c10::ScalarType::Float
    private const int ByteCode = 0; // c10::ScalarType::Byte
    private const int CpuDeviceCode = 0; // c10::DeviceType::CPU
    private static readonly byte[] PrepackOperator = "onednn::qlinear_prepack\0"u8.ToArray();
    private static readonly byte[] DefaultOverload = "\0"u8.ToArray();
    private static readonly byte[] None = "none\0"u8.ToArray();
    private static readonly byte[] Gelu = "gelu\0"u8.ToArray();
    private static readonly byte[] Tanh = "tanh\0"u8.ToArray();
    private static readonly Lazy<bool> EntryPoints = new(() =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64
        && NativeExports.Has("libtorch_cpu", "aoti_torch_call_dispatcher", "aoti_torch_cpu__qlinear_pointwise_tensor",
            "aoti_torch_get_data_ptr", "aoti_torch_create_tensor_from_blob"));

    /// <summary>
    /// Whether libtorch exports every entry point, looked up once before anything is called, so that <c>info</c>, a plan
    /// and compiling a session all get the same answer.
    /// </summary>
    public static bool IsAvailable => EntryPoints.Value;

    /// <summary>
    /// The int8 <paramref name="weight"/> laid out for oneDNN (an opaque oneDNN tensor), or null when oneDNN's int8 kernels
    /// are not available.
    /// </summary>
    public static Tensor? Pack(Int8Weight weight)
    {
        if (!IsAvailable || weight.Values.dtype != ScalarType.Int8 || weight.Values.dim() != 2 || !weight.Values.is_contiguous())
        {
            return null;
        }

        // The dispatcher takes ownership of the handles on its stack, so it gets a handle of its own to the values.
        using Tensor alias = weight.Values.alias();
        ulong* stack = stackalloc ulong[2];
        stack[0] = (ulong)alias.DecoupleFromNativeHandle();
        stack[1] = 0; // x_shape: None
        fixed (byte* name = PrepackOperator)
        fixed (byte* overload = DefaultOverload)
        {
            if (CallDispatcher(name, overload, stack) == 0 && stack[0] != 0)
            {
                return Tensor.UnsafeCreateTensor((IntPtr)stack[0]);
            }
        }

        return null;
    }

    /// <summary>
    /// <c>activation(x · weightᵀ + bias)</c> in float32 from uint8 <paramref name="values"/> <c>[M, K]</c> standing for
    /// <c>x = (values − zeroPoint) · scale</c> (one-element float64 and int64 tensors) and a weight from <see cref="Pack"/>;
    /// null when the call failed.
    /// </summary>
    public static Tensor? Forward(Tensor values, Tensor scale, Tensor zeroPoint, Tensor packedWeight, Int8Weight weight, Tensor weightZeroPoints, Tensor? bias, bool gelu, bool tanhGelu)
    {
        if (!IsAvailable || values.dtype != ScalarType.Byte || values.dim() != 2 || scale.numel() != 1 || zeroPoint.numel() != 1 || weight.Scales.dtype != ScalarType.Float32
            || bias is { dtype: not ScalarType.Float32 } || values.shape[^1] != weight.Values.shape[1])
        {
            return null;
        }

        IntPtr biasHandle = bias?.Handle ?? IntPtr.Zero, result = IntPtr.Zero;
        int outputDType = Float32Code;
        byte[] postOp = gelu ? Gelu : None;
        byte[] algorithm = gelu && tanhGelu ? Tanh : None;
        fixed (byte* postOpPointer = postOp)
        fixed (byte* algorithmPointer = algorithm)
        {
            int status = QLinearPointwise(values.Handle, scale.Handle, zeroPoint.Handle, packedWeight.Handle,
                weight.Scales.Handle, weightZeroPoints.Handle, bias is null ? null : &biasHandle,
                1.0, 0, &outputDType, postOpPointer, null, 0, algorithmPointer, &result);
            return status == 0 && result != IntPtr.Zero ? Tensor.UnsafeCreateTensor(result) : null;
        }
    }

    /// <summary>
    /// The bytes of a contiguous quint8 tensor as a uint8 tensor of the same shape that shares its memory (the product
    /// takes plain uint8), or null when the entry points are missing. The caller keeps <paramref name="quantized"/> alive
    /// while the view is used. <c>int_repr</c> would copy instead, in a loop libtorch does not vectorise
    /// (<c>benchmarks/README.md</c> has its cost).
    /// </summary>
    public static Tensor? ViewAsBytes(Tensor quantized)
    {
        if (!IsAvailable || quantized.dtype != ScalarType.QUInt8 || !quantized.is_contiguous() || quantized.device_type != DeviceType.CPU)
        {
            return null;
        }

        long[] sizes = quantized.shape, strides = quantized.stride();
        void* data;
        IntPtr view;
        fixed (long* sizesPointer = sizes)
        fixed (long* stridesPointer = strides)
        {
            if (GetDataPointer(quantized.Handle, &data) != 0
                || CreateTensorFromBlob(data, sizes.Length, sizesPointer, stridesPointer, 0, ByteCode, CpuDeviceCode, 0, &view) != 0 || view == IntPtr.Zero)
            {
                return null;
            }
        }

        return Tensor.UnsafeCreateTensor(view);
    }

    [LibraryImport("libtorch_cpu", EntryPoint = "aoti_torch_get_data_ptr")]
    private static partial int GetDataPointer(IntPtr tensor, void** data);

    [LibraryImport("libtorch_cpu", EntryPoint = "aoti_torch_create_tensor_from_blob")]
    private static partial int CreateTensorFromBlob(
        void* data, long dimensions, long* sizes, long* strides, long storageOffset, int dtype, int deviceType, int deviceIndex, IntPtr* result);

    [LibraryImport("libtorch_cpu", EntryPoint = "aoti_torch_cpu__qlinear_pointwise_tensor")]
    private static partial int QLinearPointwise(
        IntPtr input, IntPtr inputScale, IntPtr inputZeroPoint, IntPtr weight, IntPtr weightScales, IntPtr weightZeroPoints,
        IntPtr* bias, double outputScale, long outputZeroPoint, int* outputDType, byte* postOp, double** postOpArguments,
        long postOpArgumentCount, byte* postOpAlgorithm, IntPtr* result);

    [LibraryImport("libtorch_cpu", EntryPoint = "aoti_torch_call_dispatcher")]
    private static partial int CallDispatcher(byte* operatorName, byte* overloadName, ulong* stack);
}
