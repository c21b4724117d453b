using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using AlbertGen.Server.Engine;
using AlbertGen.Tests;

namespace AlbertGen.Server.Tests;

/// <summary>Graceful shutdown: queued inputs finish; <c>albertgen serve</c> exits 0 on SIGTERM.</summary>
public sealed partial class ShutdownTests
{
    [Fact]
    public async Task Stopping_the_server_finishes_the_requests_in_flight()
    {
        await using RunningServer server = await RunningServer.StartAsync(ServerPool.Options(TaskModelDirectory.Tiny), socket: true);
        using var gate = new ManualResetEventSlim();
        using var running = new ManualResetEventSlim();
        // Holds the batcher, so the request below is certainly waiting in the queue when the stop begins.
        var block = new TestItem(new TestStage("block", running: running, gate: gate), 1);
        server.Host.Queue.Enqueue(block);
        Task blocker = block.Completion;
        Assert.True(running.Wait(TimeSpan.FromSeconds(30)));
        Task<(int Status, System.Text.Json.JsonElement Body, HttpResponseMessage Response)> inFlight = server.PostAsync("/embed", "{\"inputs\": \"still answered\"}");
        while (server.Host.Queue.Waiting == 0 && !inFlight.IsCompleted)
        {
            await Task.Delay(5);
        }

        Task stopping = server.StopAsync();
        await Task.Delay(100);
        Assert.False(inFlight.IsCompleted);
        gate.Set();
        Assert.Equal(200, (await inFlight).Status);
        await blocker;
        await stopping;
    }

    [Fact]
    public async Task Serve_exits_0_on_sigterm_after_serving()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "AlbertGen.Cli.dll"), "serve", "--model", TaskModelDirectory.Tiny, "--port", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        Uri? address = null;
        var log = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is string line)
        {
            log.Add(line);
            if (ListeningOn().Match(line) is { Success: true } match)
            {
                address = new Uri(match.Groups[1].Value);
            }

            if (line.Contains("Ready:", StringComparison.Ordinal))
            {
                break;
            }
        }

        Assert.True(address is not null, string.Join("\n", log));
        using var http = new HttpClient { BaseAddress = address };
        Assert.Equal(200, (int)(await http.GetAsync("/health")).StatusCode);
        Assert.Equal(200, (int)(await http.PostAsync("/embed", new StringContent("{\"inputs\": \"a\"}"))).StatusCode);
        _ = process.StandardOutput.ReadToEndAsync();
        Assert.Equal(0, Kill(process.Id, 15));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
        Assert.Contains("albertgen serve: stopped.", await stderr);
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
