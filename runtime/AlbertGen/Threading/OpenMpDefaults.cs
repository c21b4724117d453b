using System.Runtime.InteropServices;

namespace AlbertGen.Threading;

/// <summary>
/// Makes libtorch's OpenMP worker threads give their core back quickly instead of spinning, unless the user chose a policy.
/// </summary>
/// <remarks>
/// <para>
/// libtorch runs its CPU kernels on GNU OpenMP, whose workers by default spin for about 300 000 iterations at every barrier
/// before sleeping. On a machine where other processes compete for the cores, a spinning worker keeps the core while the
/// thread it waits for is not running, and each of the few hundred parallel regions of a forward pass can cost a scheduler
/// time slice: measured here at load average 12 on 2 cores, an albert-base 1×16 forward took 0.6–2.2 s with the default and
/// 0.1–0.23 s with a short spin. A short spin (<see cref="SpinCount"/> iterations, a few microseconds) keeps back-to-back
/// regions cheap on an idle machine.
/// </para>
/// <para>
/// GNU OpenMP reads its settings once, when libtorch is loaded, from the C environment. So this runs as the module
/// initializer of AlbertGen: it takes effect only if AlbertGen is used before anything loads libtorch (the first call
/// into <c>TorchSharp.torch</c>). Setting <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c> yourself always wins: nothing is changed
/// when either is set. Only Linux is affected.
/// </para>
/// </remarks>
internal static partial class OpenMpDefaults
{
    /// <summary>Spin iterations before an idle OpenMP worker sleeps.</summary>
    internal const string SpinCount = "3000";

    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null
            || Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is not null)
        {
            return;
        }

        try
        {
            // .NET keeps its own copy of the environment; native code reads the C one.
            if (SetEnv("GOMP_SPINCOUNT", SpinCount, overwrite: 0) == 0)
            {
                Environment.SetEnvironmentVariable("GOMP_SPINCOUNT", SpinCount);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No usable libc: leave OpenMP's defaults.
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
