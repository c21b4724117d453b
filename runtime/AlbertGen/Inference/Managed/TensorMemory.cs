using static TorchSharp.torch;

namespace AlbertGen.Inference.Managed;

/// <summary>The memory of libtorch tensors, for managed kernels that read and write it in place.</summary>
internal static unsafe class TensorMemory
{
    /// <summary>The first float of <paramref name="tensor"/>, which must be a contiguous float32 CPU tensor.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="what">What the tensor is, for the error message.</param>
    /// <exception cref="ArgumentException">The tensor is not contiguous float32 on the CPU.</exception>
    public static float* Floats(Tensor tensor, string what) => (float*)Data(tensor, ScalarType.Float32, what);

    /// <summary>The first value of <paramref name="tensor"/>, which must be a contiguous int64 CPU tensor.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="what">What the tensor is, for the error message.</param>
    /// <exception cref="ArgumentException">The tensor is not contiguous int64 on the CPU.</exception>
    public static long* Longs(Tensor tensor, string what) => (long*)Data(tensor, ScalarType.Int64, what);

    private static byte* Data(Tensor tensor, ScalarType dtype, string what)
    {
        if (tensor.dtype != dtype || tensor.device_type != TorchSharp.DeviceType.CPU || !tensor.is_contiguous())
        {
            throw new ArgumentException(
                $"{what} must be a contiguous {dtype} CPU tensor for the managed kernels; it is {tensor.dtype} on {tensor.device_type}{(tensor.is_contiguous() ? "" : ", not contiguous")}.",
                nameof(tensor));
        }

        fixed (byte* data = tensor.bytes)
        {
            return data; // libtorch's memory: it does not move while the tensor lives
        }
    }
}
