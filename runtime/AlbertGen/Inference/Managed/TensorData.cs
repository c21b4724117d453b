using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Managed;

/// <summary>
/// The address of a CPU tensor's float32 elements, for managed kernels that read and write tensors in place. TorchSharp
/// 0.107 exposes no data pointer (only copying accessors), so it comes from libtorch's stable C entry
/// <c>aoti_torch_get_data_ptr</c> (the address of the first element, storage offset included), which the int8 kernels use too.
/// </summary>
internal static unsafe partial class TensorData
{
    private static volatile bool _unavailable = !OperatingSystem.IsLinux() && !OperatingSystem.IsWindows() && !OperatingSystem.IsMacOS();

    private static readonly Lazy<bool> Probe = new(() =>
    {
        try
        {
            using Tensor probe = zeros(1);
            _ = Float32(probe, "a probe");
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    });

    /// <summary>Whether libtorch exports the entry point (probed once).</summary>
    public static bool IsAvailable => !_unavailable && Probe.Value;

    /// <summary>
    /// The first element of <paramref name="tensor"/>, which must be a contiguous float32 CPU tensor; the caller keeps the
    /// tensor alive while the address is used.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not contiguous float32 on the CPU (named <paramref name="what"/>).</exception>
    /// <exception cref="InvalidOperationException">libtorch does not export <c>aoti_torch_get_data_ptr</c>.</exception>
    public static float* Float32(Tensor tensor, string what)
    {
        if (tensor.dtype != ScalarType.Float32 || tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
        {
            throw new ArgumentException(
                $"{what} must be a contiguous float32 CPU tensor; it is {tensor.dtype} on {tensor.device_type}{(tensor.is_contiguous() ? "" : ", not contiguous")}.", nameof(tensor));
        }

        void* data = null;
        try
        {
            if (_unavailable || GetDataPointer(tensor.Handle, &data) != 0)
            {
                throw new InvalidOperationException($"libtorch did not give the data pointer of {what} (aoti_torch_get_data_ptr).");
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            throw new InvalidOperationException("libtorch does not export aoti_torch_get_data_ptr; managed kernels cannot run on its tensors.", e);
        }

        return (float*)data;
    }

    [LibraryImport("libtorch_cpu", EntryPoint = "aoti_torch_get_data_ptr")]
    private static partial int GetDataPointer(IntPtr tensor, void** data);
}
