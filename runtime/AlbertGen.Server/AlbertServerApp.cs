using System.Net;
using System.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AlbertGen.Server;

/// <summary>Where and how a stand-alone server process listens and logs.</summary>
public sealed record AlbertServerHosting
{
    /// <summary>The address to listen on (an IP address or a host name). Default 127.0.0.1.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one. Default 8080.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>How long a shutdown (SIGTERM, Ctrl+C) waits for in-flight requests. Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Write logs as one JSON object per line (for log collectors) instead of plain lines.</summary>
    public bool JsonLogs { get; init; }

    /// <summary>Lowest level logged. Default information (one line per request).</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;
}

/// <summary>The stand-alone server that <c>albertgen serve</c> runs: Kestrel, logging, the routes and the model host.</summary>
public static class AlbertServerApp
{
    /// <summary>Builds the app (not started). Call once per process: it makes the process-wide settings of a serving process.</summary>
    /// <param name="options">What to serve.</param>
    /// <param name="hosting">Where to listen and how to log.</param>
    /// <returns>The app; <c>RunAsync</c> serves until SIGTERM or Ctrl+C, then finishes in-flight requests.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static WebApplication Build(AlbertServerOptions options, AlbertServerHosting hosting)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(hosting);
        options.Validate();
        if (hosting.Port is < 0 or > 65535)
        {
            throw new ArgumentException($"the port must be between 0 and 65535, not {hosting.Port}.");
        }

        ConfigureProcess();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "albertgen-serve" });
        builder.WebHost.UseUrls(Url(hosting.Host, hosting.Port));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = hosting.ShutdownTimeout);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(hosting.MinimumLogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (hosting.JsonLogs)
        {
            builder.Logging.AddJsonConsole(json => json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ");
        }
        else
        {
            builder.Logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                console.UseUtcTimestamp = true;
            });
        }

        builder.Services.AddAlbertServer(options);
        WebApplication app = builder.Build();
        app.MapAlbertEndpoints();
        app.MapAlbertFallback();
        return app;
    }

    /// <summary>
    /// Process-wide settings of a process whose only job is serving models. They belong here, and only here: an app that
    /// hosts the routes itself (<see cref="AlbertServerExtensions.MapAlbertEndpoints"/>) keeps its own process settings.
    /// </summary>
    private static void ConfigureProcess()
    {
        // A process that mainly serves inference: OpenMP's short spin and heap trimming (idempotent; the CLI has done it already).
        AlbertRuntime.ConfigureForInference();
        // Requests wait on the GC's blocking collections; background gen2 collections keep pauses short under load.
        GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
    }

    private static string Url(string host, int port)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            throw new ArgumentException("the host must not be empty (use 0.0.0.0 to listen on every interface).");
        }

        return IPAddress.TryParse(host, out IPAddress? address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"http://[{address}]:{port}"
            : $"http://{host}:{port}";
    }
}
