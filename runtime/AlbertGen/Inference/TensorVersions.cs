using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>
/// Reads libtorch's per-tensor version counter, which every in-place operation on a tensor (or a view of it) increments:
/// <c>copy_</c> from a checkpoint loader, an optimiser's update, <c>mul_</c> by a user. Comparing versions tells whether
/// something derived from a tensor (an <see cref="InferenceSession{TOutput}"/>'s converted or packed weights) is still current.
/// </summary>
/// <remarks>
/// TorchSharp does not wrap <c>Tensor._version</c>, but libtorch exports <c>at::TensorBase::_version()</c>, and a
/// TorchSharp tensor handle is an <c>at::Tensor*</c>, which is what that member function takes as <c>this</c>. It throws a
/// C++ exception for inference tensors (made under <c>inference_mode</c>, which track no version), and a C++ exception
/// must never cross P/Invoke, so <c>at::native::is_inference</c> (which cannot throw) is asked first. Both are C++ (mangled)
/// symbols whose signatures nothing checks, so they are looked up and tried on a fresh tensor once (<see cref="IsAvailable"/>);
/// where they are missing or answer wrongly, sessions keep nothing derived from the weights (they fail closed: never stale, slower).
/// </remarks>
internal static partial class TensorVersions
{
    private const string IsInferenceSymbol = "_ZN2at6native12is_inferenceERKNS_6TensorE";
    private const string VersionSymbol = "_ZNK2at10TensorBase8_versionEv";

    private static readonly Lazy<bool> Works = new(SelfTest);

    /// <summary>
    /// Whether both entry points exist and behave as the version counter does (checked once, <see cref="SelfTest"/>); when
    /// false, nothing is read and sessions keep nothing derived from the weights.
    /// </summary>
    public static bool IsAvailable => Works.Value;

    /// <summary>
    /// Whether the symbols are exported and, called on a fresh tensor, say what libtorch's counter must: not an inference
    /// tensor, version 0, and version 1 after one in-place <c>add_(0)</c>. A libtorch whose ABI changed under the same
    /// names fails this rather than being trusted.
    /// </summary>
    private static bool SelfTest()
    {
        if (!OperatingSystem.IsLinux() || !NativeExports.Has("libtorch_cpu", IsInferenceSymbol, VersionSymbol))
        {
            return false;
        }

        using IDisposable normal = inference_mode(false); // the first caller may be inside inference mode
        using Tensor probe = zeros(1);
        IntPtr handle = probe.Handle;
        if (IsInference(handle) || Version(handle) != 0)
        {
            return false;
        }

        probe.add_(0);
        return Version(handle) == 1;
    }

    /// <summary>
    /// The version of <paramref name="tensor"/>, or null when it has none to read: an inference tensor, a disposed tensor, or
    /// libtorch's entry points are not found.
    /// </summary>
    public static long? Of(Tensor tensor)
    {
        if (!IsAvailable || tensor.IsInvalid)
        {
            return null;
        }

        IntPtr handle = tensor.Handle;
        return IsInference(handle) ? null : Version(handle);
    }

    [LibraryImport("libtorch_cpu", EntryPoint = IsInferenceSymbol)]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool IsInference(IntPtr tensor);

    [LibraryImport("libtorch_cpu", EntryPoint = VersionSymbol)]
    private static partial long Version(IntPtr tensor);
}
