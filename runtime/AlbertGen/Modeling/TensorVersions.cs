using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Reads libtorch's per-tensor version counter, which every in-place operation on a tensor (or a view of it) increments:
/// <c>copy_</c> from a checkpoint loader, an optimiser's update, <c>mul_</c> by a user. Comparing versions tells whether
/// something derived from a tensor (<see cref="VersionedCache{TKey, TValue}"/>) is still current.
/// </summary>
/// <remarks>
/// TorchSharp does not wrap <c>Tensor._version</c>, but libtorch exports <c>at::TensorBase::_version()</c>, and a
/// TorchSharp tensor handle is an <c>at::Tensor*</c>, which is what that member function takes as <c>this</c>. It throws a
/// C++ exception for inference tensors (made under <c>inference_mode</c>, which track no version), and a C++ exception
/// must never cross P/Invoke, so <c>at::native::is_inference</c> (which cannot throw) is asked first.
/// </remarks>
internal static partial class TensorVersions
{
    private static volatile bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>
    /// The version of <paramref name="tensor"/>, or null when it has none to read: an inference tensor, a disposed tensor, or
    /// libtorch's entry points are not found.
    /// </summary>
    public static long? Of(Tensor tensor)
    {
        if (_unavailable || tensor.IsInvalid)
        {
            return null;
        }

        try
        {
            IntPtr handle = tensor.Handle;
            return IsInference(handle) ? null : Version(handle);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return null;
        }
    }

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at6native12is_inferenceERKNS_6TensorE")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool IsInference(IntPtr tensor);

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZNK2at10TensorBase8_versionEv")]
    private static partial long Version(IntPtr tensor);
}
