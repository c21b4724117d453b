using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AlbertGen.Server.Engine;
using AlbertGen.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlbertGen.Server.Tests;

/// <summary>
/// A running server for tests: in-process (ASP.NET Core's TestServer, no socket) or on a real loopback socket (Kestrel on
/// 127.0.0.1, a free port), started and with its model ready.
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningServer(WebApplication app, HttpClient client)
    {
        _app = app;
        Client = client;
    }

    /// <summary>A client whose base address is the server.</summary>
    public HttpClient Client { get; }

    /// <summary>The model host (for its model, queue and options).</summary>
    public AlbertModelHost Host => _app.Services.GetRequiredService<AlbertModelHost>();

    /// <summary>The server's base address.</summary>
    public Uri BaseAddress => Client.BaseAddress!;

    public static async Task<RunningServer> StartAsync(AlbertServerOptions options, bool socket = false)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (socket)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        builder.Services.AddAlbertServer(options);
        WebApplication app = builder.Build();
        app.MapAlbertEndpoints();
        app.MapAlbertFallback();
        await app.StartAsync();
        await app.Services.GetRequiredService<AlbertModelHost>().Ready;
        HttpClient client = socket
            ? new HttpClient { BaseAddress = new Uri(app.Urls.First()) }
            : app.GetTestClient();
        return new RunningServer(app, client);
    }

    /// <summary>POSTs a JSON text and returns the status and the parsed body.</summary>
    public async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string path, string json)
    {
        HttpResponseMessage response = await Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        JsonElement body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return ((int)response.StatusCode, body, response);
    }

    /// <summary>POSTs an object as JSON; asserts 200 and returns the body.</summary>
    public async Task<JsonElement> PostOkAsync(string path, object request)
    {
        var (status, body, _) = await PostAsync(path, JsonSerializer.Serialize(request));
        Assert.True(status == 200, $"{path}: {status} {body}");
        return body;
    }

    /// <summary>POSTs a JSON text; asserts the status and TEI's error shape, and returns the error's type and message.</summary>
    public async Task<(string Type, string Message)> FailsAsync(string path, string json, int status)
    {
        var (actual, body, _) = await PostAsync(path, json);
        Assert.True(actual == status, $"{path} {json}: expected {status}, got {actual} {body}");
        Assert.Equal(JsonValueKind.Object, body.ValueKind);
        string message = body.GetProperty("error").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        return (body.GetProperty("error_type").GetString()!, message);
    }

    public async Task<T> GetJsonAsync<T>(string path) => (await Client.GetFromJsonAsync<T>(path))!;

    /// <summary>Stops the server as SIGTERM does (in-flight requests finish), keeping the client.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Servers shared by the tests of one collection, started once per model.</summary>
public sealed class ServerPool : IAsyncDisposable
{
    private readonly Dictionary<string, Task<RunningServer>> _servers = [];
    private readonly Lock _lock = new();

    /// <summary>The tiny masked-LM fixture (embeddings, fill-mask, tokenizer), in-process.</summary>
    public Task<RunningServer> Tiny => Get("tiny", () => Options(TaskModelDirectory.Tiny));

    /// <summary>A head of the tiny fixture, in-process.</summary>
    public Task<RunningServer> Head(string name) => Get(name, () => Options(TaskModelDirectory.Head(name)));

    /// <summary>The shipped default model on a real loopback socket.</summary>
    public Task<RunningServer> DefaultOverSocket => Get("default-socket", () => Options(DefaultModelFolder), socket: true);

    /// <summary>The shipped default model (models/shakespeare), copied beside the tests by the command line's build.</summary>
    public static string DefaultModelFolder => Path.Combine(AppContext.BaseDirectory, "default-model");

    public static AlbertServerOptions Options(string directory) => new() { ModelDirectory = directory, ModelId = "test-model" };

    public async ValueTask DisposeAsync()
    {
        foreach (Task<RunningServer> server in _servers.Values)
        {
            await (await server).DisposeAsync();
        }
    }

    private Task<RunningServer> Get(string key, Func<AlbertServerOptions> options, bool socket = false)
    {
        lock (_lock)
        {
            if (!_servers.TryGetValue(key, out Task<RunningServer>? server))
            {
                server = RunningServer.StartAsync(options(), socket);
                _servers[key] = server;
            }

            return server;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerPool>
{
    public const string Name = "servers";
}
