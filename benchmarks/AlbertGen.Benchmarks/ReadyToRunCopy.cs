using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AlbertGen.Benchmarks;

/// <summary>
/// A ReadyToRun-published copy of this benchmark, for the start-up measures: a service that cares about start-up ships
/// published with ReadyToRun (methods compiled ahead of time). Both engines are measured from both builds, and each is
/// compared in the build that starts it faster.
/// Measured from the JIT-compiled build, AlbertGen spent ≈ 58 ms compiling methods while loading albert-base and 20 ms
/// more in its first forward pass (TorchSharp's P/Invoke stubs and the model code); ONNX Runtime's managed layer is thin.
/// </summary>
internal static class ReadyToRunCopy
{
    /// <summary>
    /// Publishes this benchmark with ReadyToRun into a temporary folder and returns the published executable, or null (with
    /// the reason printed) when publishing fails.
    /// </summary>
    public static string? Publish()
    {
        string project = Path.Combine(Paths.RepositoryRoot, "benchmarks", "AlbertGen.Benchmarks");
        string output = Path.Combine(Path.GetTempPath(), $"albertgen-benchmarks-r2r-{Environment.ProcessId}");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "publish", project, "-c", "Release", "-r", RuntimeInformation.RuntimeIdentifier, "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", output, "--nologo" })
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {dotnet}.");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string executable = Path.Combine(output, "AlbertGen.Benchmarks");
        if (process.ExitCode != 0 || !File.Exists(executable))
        {
            Console.WriteLine($"- ReadyToRun publish failed (exit {process.ExitCode}); start-up measured from the JIT build only:");
            Console.WriteLine(string.Join(Environment.NewLine, (stdout + stderr.Result).Split('\n').TakeLast(5).Select(l => "  " + l.TrimEnd())));
            return null;
        }

        return executable;
    }
}
