using System.Runtime.InteropServices;

namespace AlbertGen.Runtime;

/// <summary>
/// Makes libtorch's OpenMP worker threads give their core back quickly instead of spinning, unless the user chose a policy.
/// Applied only by <see cref="AlbertRuntime.ConfigureForInference"/>.
/// </summary>
/// <remarks>
/// <para>
/// libtorch runs its CPU kernels on GNU OpenMP, whose workers by default spin for a long time at every barrier before
/// sleeping. Where other processes compete for the cores, a spinning worker keeps a core while the thread it waits for is
/// not running, and each of the few hundred parallel regions of a forward pass can cost a scheduler time slice; a short
/// spin (<see cref="SpinCount"/> iterations, a few microseconds) keeps back-to-back regions cheap on an idle machine.
/// <c>benchmarks/README.md</c> has the measurements.
/// </para>
/// <para>
/// GNU OpenMP reads its settings once, when libtorch is loaded, from the C environment, so this takes effect only before
/// the first call into <c>TorchSharp.torch</c>. Setting <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c> yourself always
/// wins: nothing is changed when either is set. Only Linux is affected.
/// </para>
/// </remarks>
internal static partial class OpenMpDefaults
{
    /// <summary>Spin iterations before an idle OpenMP worker sleeps.</summary>
    internal const string SpinCount = "3000";

    /// <summary>Sets <c>GOMP_SPINCOUNT</c> in the C and .NET environments; returns what was set, or null when nothing was.</summary>
    internal static string? Apply()
    {
        if (!OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null
            || Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null)
        {
            return null;
        }

        try
        {
            // .NET keeps its own copy of the environment; native code reads the C one.
            if (SetEnv("GOMP_SPINCOUNT", SpinCount, overwrite: 0) != 0)
            {
                return null;
            }

            Environment.SetEnvironmentVariable("GOMP_SPINCOUNT", SpinCount);
            return $"GOMP_SPINCOUNT={SpinCount}";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // no usable libc: leave OpenMP's defaults
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
