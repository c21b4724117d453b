using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Text.Json;
using AlbertGen.Server.Engine;
using AlbertGen.Tests;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlbertGen.Server.Tests;

/// <summary>Readiness, /info, /metrics, the API key and overload.</summary>
[Collection(ServerCollection.Name)]
public sealed class OperationsTests(ServerPool servers)
{
    [Fact]
    public async Task Health_is_503_until_the_model_is_loaded_and_warmed_then_200()
    {
        using var meters = new TestMeterFactory();
        using var host = new AlbertModelHost(ServerPool.Options(TaskModelDirectory.Tiny), meters, new StoppedLifetime(), NullLogger<AlbertModelHost>.Instance);
        var check = new ModelReadinessCheckProbe(host);
        HealthCheckResult before = await check.RunAsync();
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.StartsWith("The model is loading", before.Description);
        await host.StartAsync(CancellationToken.None);
        await host.Ready;
        Assert.Equal(HealthStatus.Healthy, (await check.RunAsync()).Status);
        await host.StopAsync(CancellationToken.None);
        HealthCheckResult stopped = await check.RunAsync();
        Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
        Assert.Equal("The server is shutting down.", stopped.Description);
    }

    [Fact]
    public async Task A_model_that_cannot_load_reports_why_and_stops_the_host()
    {
        using var meters = new TestMeterFactory();
        var lifetime = new StoppedLifetime();
        using var temp = new TempDirectory("server");
        string folder = temp.Path;
        File.Copy(Path.Combine(TaskModelDirectory.Tiny, "config.json"), Path.Combine(folder, "config.json"));
        using var host = new AlbertModelHost(ServerPool.Options(folder), meters, lifetime, NullLogger<AlbertModelHost>.Instance);
        await host.StartAsync(CancellationToken.None);
        await Assert.ThrowsAnyAsync<Exception>(() => host.Ready);
        Assert.Contains("spiece.model", host.LoadError!.Message);
        Assert.True(lifetime.StopRequested);
        HealthCheckResult health = await new ModelReadinessCheckProbe(host).RunAsync();
        Assert.Contains("could not be loaded", health.Description);
    }

    [Fact]
    public async Task Health_answers_200_with_an_empty_body_when_ready()
    {
        RunningServer server = await servers.Tiny;
        HttpResponseMessage response = await server.Client.GetAsync("/health");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Info_lists_tei_fields_and_only_the_routes_the_heads_serve()
    {
        RunningServer tiny = await servers.Tiny;
        JsonElement info = await tiny.GetJsonAsync<JsonElement>("/info");
        Assert.Equal("test-model", info.GetProperty("model_id").GetString());
        Assert.Equal(64, info.GetProperty("max_input_length").GetInt32());
        Assert.Equal(32, info.GetProperty("max_client_batch_size").GetInt32());
        Assert.Equal("mean", info.GetProperty("model_type").GetProperty("embedding").GetProperty("pooling").GetString());
        string[] routes = [.. info.GetProperty("routes").EnumerateArray().Select(r => r.GetProperty("path").GetString()!)];
        Assert.Contains("/fill-mask", routes);
        Assert.Contains("/embed", routes);
        Assert.DoesNotContain("/predict", routes);

        RunningServer classifier = await servers.Head("seqcls-single3");
        JsonElement classifierInfo = await classifier.GetJsonAsync<JsonElement>("/info");
        Assert.Equal("LABEL_2", classifierInfo.GetProperty("model_type").GetProperty("classifier").GetProperty("id2label").GetProperty("2").GetString());
        string[] classifierRoutes = [.. classifierInfo.GetProperty("routes").EnumerateArray().Select(r => r.GetProperty("path").GetString()!)];
        Assert.Contains("/predict", classifierRoutes);
        Assert.DoesNotContain("/rerank", classifierRoutes);
        Assert.DoesNotContain("/fill-mask", classifierRoutes);
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_with_tei_names()
    {
        RunningServer server = await servers.Tiny;
        await server.PostOkAsync("/embed", new { inputs = "count me" });
        await server.FailsAsync("/embed", "{}", 422);
        string metrics = await server.Client.GetStringAsync("/metrics");
        foreach (string name in new[] { "te_request_count{", "te_request_success{", "te_request_failure{", "te_request_duration_bucket{", "te_request_queue_duration_sum{", "te_request_inference_duration_count{", "te_request_postprocessing_duration_sum{", "te_batch_next_size_bucket{", "te_batch_next_tokens_bucket{" })
        {
            Assert.Contains(name, metrics);
        }

        // TEI's gauge has no labels of its own; counters stay counters and histograms keep their instruments' buckets.
        Assert.Matches(@"(?m)^te_queue_size(\{[^}]*\})? \d", metrics);
        Assert.Contains("# TYPE te_request_count counter", metrics);
        Assert.Contains("# TYPE te_request_duration histogram", metrics);
        Assert.Matches(@"(?m)^te_request_duration_bucket\{[^}]*le=""0\.0005""[^}]*\} \d", metrics);

        Assert.Contains("err=\"validation\"", metrics);
        Assert.DoesNotContain("te_request_count_total", metrics);
    }

    [Fact]
    public async Task With_an_api_key_every_route_but_health_needs_the_bearer_token()
    {
        await using RunningServer server = await RunningServer.StartAsync(ServerPool.Options(TaskModelDirectory.Tiny) with { ApiKey = "s3cret" });
        Assert.Equal(200, (int)(await server.Client.GetAsync("/health")).StatusCode);
        var (type, message) = await server.FailsAsync("/embed", "{\"inputs\": \"a\"}", 401);
        Assert.Contains("Authorization: Bearer", message);
        Assert.Equal(401, (int)(await server.Client.GetAsync("/info")).StatusCode);
        Assert.Equal(401, (int)(await server.Client.GetAsync("/metrics")).StatusCode);
        server.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        await server.FailsAsync("/embed", "{\"inputs\": \"a\"}", 401);
        server.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        await server.PostOkAsync("/embed", new { inputs = "a" });
        Assert.Equal(200, (int)(await server.Client.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Over_max_concurrent_requests_a_request_gets_429_at_once()
    {
        await using RunningServer server = await RunningServer.StartAsync(ServerPool.Options(TaskModelDirectory.Tiny) with { MaxConcurrentRequests = 2 });
        using IDisposable first = server.Host.Queue.AcquirePermit();
        using (IDisposable second = server.Host.Queue.AcquirePermit())
        {
            var (type, message) = await server.FailsAsync("/embed", "{\"inputs\": \"a\"}", 429);
            Assert.Equal("overloaded", type);
            Assert.Contains("2 requests are in flight", message);
        }

        await server.PostOkAsync("/embed", new { inputs = "a" }); // a permit is free again
    }

    /// <summary>Runs the server's readiness check (internal) the way the health-check middleware does.</summary>
    private sealed class ModelReadinessCheckProbe(AlbertModelHost host)
    {
        public Task<HealthCheckResult> RunAsync() => new Http.ModelReadinessCheck(host).CheckHealthAsync(new HealthCheckContext());
    }

    private sealed class StoppedLifetime : IHostApplicationLifetime
    {
        public bool StopRequested { get; private set; }

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => StopRequested = true;
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
