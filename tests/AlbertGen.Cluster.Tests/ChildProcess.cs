using System.Diagnostics;
using System.Text;

namespace AlbertGen.Cluster.Tests;

/// <summary>A process the test started: its output kept for assertions and messages, killed (with its children) on dispose.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder log = new();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        this.process = process;
    }

    public string Name { get; }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>Standard output and error so far, interleaved as they arrived.</summary>
    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    public static ChildProcess Start(string name, string fileName, params string[] arguments) => Start(name, fileName, arguments, new Dictionary<string, string>());

    /// <summary>Starts a process with extra environment variables.</summary>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string variable, string value) in environment)
        {
            info.Environment[variable] = value;
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>An <c>albertgen</c> command run from the test's build output (<c>dotnet AlbertGen.Cli.dll …</c>).</summary>
    public static ChildProcess Albertgen(string name, params string[] arguments) => Albertgen(name, arguments, new Dictionary<string, string>());

    /// <summary>An <c>albertgen</c> command with extra environment variables.</summary>
    public static ChildProcess Albertgen(string name, string[] arguments, IReadOnlyDictionary<string, string> environment) =>
        Start(name, "dotnet", [Path.Combine(AppContext.BaseDirectory, "AlbertGen.Cli.dll"), .. arguments], environment);

    /// <summary>Waits until the output contains <paramref name="text"/>; fails naming the process and its output otherwise.</summary>
    public async Task WaitFor(string text, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!Log.Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited)
            {
                Assert.Fail($"{Name} exited ({process.ExitCode}) before printing '{text}':\n{Log}");
            }

            if (clock.Elapsed > limit)
            {
                Assert.Fail($"{Name} did not print '{text}' within {limit.TotalSeconds} s:\n{Log}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code; fails when it runs past the limit.</summary>
    public async Task<int> Exit(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{Name} still running after {limit.TotalSeconds} s:\n{Log}");
        }

        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>SIGSTOP: the process stays, frozen, holding its sockets open, until it is killed.</summary>
    public void Freeze()
    {
        using Process kill = Process.Start("kill", ["-STOP", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>SIGKILL, as <c>kill -9</c>.</summary>
    public void KillHard()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.AppendLine(line);
        }
    }
}
