using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen;

/// <summary>
/// Devices by name, as the command line's <c>--device</c> and the options' <c>Device</c> take them: <c>cpu</c>,
/// <c>cuda</c> (the first GPU), <c>cuda:N</c>, or <c>auto</c> (the first GPU when CUDA is available, else the CPU).
/// </summary>
/// <remarks>
/// CUDA needs TorchSharp's CUDA backend: the application references <see cref="CudaBackendPackage"/> instead of a CPU
/// backend (<c>libtorch-cpu-linux-x64</c>, …), on a machine with an NVIDIA GPU and driver.
/// </remarks>
public static class AlbertDevice
{
    /// <summary>The NuGet package that brings libtorch with CUDA (TorchSharp's GPU backend for Linux x64).</summary>
    public const string CudaBackendPackage = "libtorch-cuda-12.8-linux-x64";

    /// <summary>The names <see cref="Parse"/> takes, for help texts.</summary>
    public const string Names = "cpu, cuda, cuda:N or auto";

    /// <summary>Whether the loaded libtorch has CUDA and sees at least one GPU.</summary>
    public static bool IsCudaAvailable => cuda.is_available();

    /// <summary>The number of GPUs libtorch sees (0 without CUDA).</summary>
    public static int CudaDeviceCount => IsCudaAvailable ? cuda.device_count() : 0;

    /// <summary>The device a name stands for, checked against what this process can run.</summary>
    /// <param name="name"><c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (case-insensitive).</param>
    /// <returns>The device; <c>auto</c> gives <c>cuda:0</c> when CUDA is available, else the CPU.</returns>
    /// <exception cref="FormatException">The name is none of those.</exception>
    /// <exception cref="ArgumentException">A GPU is asked for and this process has no CUDA, or not that many GPUs; the message
    /// names <see cref="CudaBackendPackage"/>.</exception>
    public static Device Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string text = name.Trim().ToLowerInvariant();
        if (text == "cpu")
        {
            return CPU;
        }

        if (text == "auto")
        {
            return IsCudaAvailable ? new Device(DeviceType.CUDA, 0) : CPU;
        }

        int index;
        if (text == "cuda")
        {
            index = 0;
        }
        else if (!text.StartsWith("cuda:", StringComparison.Ordinal)
            || !int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            throw new FormatException($"Unknown device \"{name}\"; use {Names}.");
        }

        if (!IsCudaAvailable)
        {
            throw new ArgumentException(
                $"Device \"{name}\" needs CUDA, and this process's libtorch has none or sees no GPU: reference the package {CudaBackendPackage} instead of a CPU backend, on a machine with an NVIDIA GPU and driver (or use --device cpu or auto).",
                nameof(name));
        }

        int count = cuda.device_count();
        return index < count ? new Device(DeviceType.CUDA, index)
            : throw new ArgumentException($"Device \"{name}\" does not exist: libtorch sees {count} GPU(s), cuda:0 to cuda:{count - 1}.", nameof(name));
    }

    /// <summary>A device's name as <see cref="Parse"/> takes it: <c>cpu</c> or <c>cuda:N</c>.</summary>
    /// <param name="device">The device.</param>
    /// <returns>The name.</returns>
    public static string Name(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.type == DeviceType.CPU ? "cpu"
            : device.type == DeviceType.CUDA ? $"cuda:{Math.Max(0, device.index)}"
            : device.ToString();
    }

    /// <summary>Whether two devices are the same (<c>cuda</c> and <c>cuda:0</c> are).</summary>
    internal static bool Same(Device a, Device b) => Name(a) == Name(b);
}
