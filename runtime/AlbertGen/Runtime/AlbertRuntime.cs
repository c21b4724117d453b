using AlbertGen.Runtime;

namespace AlbertGen;

/// <summary>
/// Process-wide settings for applications that mainly run inference. The library never changes process-wide state by
/// itself; an application (the <c>albertgen</c> command line, a server) opts in by calling
/// <see cref="ConfigureForInference"/> once, first thing.
/// </summary>
public static class AlbertRuntime
{
    /// <summary>
    /// Configures the process for inference serving:
    /// <list type="bullet">
    /// <item>libtorch's OpenMP workers spin briefly before sleeping (<c>GOMP_SPINCOUNT</c>, see <see cref="OpenMpDefaults"/>),
    /// unless <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c> is already set. OpenMP reads this once, when libtorch loads, so
    /// call this method before anything touches <c>TorchSharp.torch</c>; later it changes nothing for OpenMP.</item>
    /// <item>Inference sessions hand the C heap's free pages back to the system after their runs, within a time budget
    /// (<see cref="NativeHeapTrimming"/>), so a long-running process keeps a flat resident memory.</item>
    /// </list>
    /// Thread counts, the culture and the console are left alone. Calling it again does nothing more.
    /// </summary>
    /// <returns>What was set, one line each (for logs).</returns>
    public static IReadOnlyList<string> ConfigureForInference()
    {
        var applied = new List<string>();
        if (OpenMpDefaults.Apply() is { } openMp)
        {
            applied.Add(openMp);
        }

        NativeHeapTrimming.Enabled = true;
        applied.Add("heap trimming after inference runs: on");
        return applied;
    }
}
