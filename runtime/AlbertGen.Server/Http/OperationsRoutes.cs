using System.Security.Cryptography;
using System.Text;
using AlbertGen.Server.Engine;
using AlbertGen.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AlbertGen.Server.Http;

/// <summary><c>GET /info</c>, the readiness check behind <c>GET /health</c>, and the API key every other route checks.</summary>
internal static class OperationsRoutes
{
    /// <summary>
    /// TEI's info fields (<c>model_id</c>, <c>model_type</c>, the limits, …) plus the checkpoint's <c>architectures</c>, the
    /// embedding size, <c>routes</c>: the routes this model serves, and <c>models</c>: the names of every served model.
    /// <c>?model=NAME</c> describes that model; without it, the first.
    /// </summary>
    public static async Task InfoAsync(HttpContext context)
    {
        var host = context.RequestServices.GetRequiredService<AlbertModelHost>();
        if (!ApiKey.Allows(context, host.Options))
        {
            await ApiKey.RejectAsync(context).ConfigureAwait(false);
            return;
        }

        string? name = context.Request.Query["model"].FirstOrDefault();
        ModelSlot slot;
        try
        {
            slot = host.Find(name);
        }
        catch (ApiException e)
        {
            await ModelRequests.WriteErrorAsync(context, e).ConfigureAwait(false);
            return;
        }

        if (slot.Model is not { } model || !slot.IsReady)
        {
            await ModelRequests.WriteErrorAsync(context, new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unhealthy, host.NotReadyReason ?? "The model is not ready.")).ConfigureAwait(false);
            return;
        }

        AlbertServerOptions options = host.Options;
        var labels = new
        {
            id2label = model.Config.Id2Label.Select((name, id) => (name, id)).ToDictionary(l => l.id.ToString(System.Globalization.CultureInfo.InvariantCulture), l => l.name),
            label2id = model.Config.Id2Label.Select((name, id) => (name, id)).DistinctBy(l => l.name).ToDictionary(l => l.name, l => l.id),
        };
        object modelType = model.Supports(ModelCapability.Reranking) ? new { reranker = labels }
            : model.Supports(ModelCapability.Classification) ? new { classifier = labels }
            : new { embedding = new { pooling = options.Pooling == EmbeddingPooling.Cls ? "cls" : "mean" } };
        var info = new
        {
            model_id = slot.Name,
            model_sha = (string?)null,
            model_dtype = options.Inference switch
            {
                { MatMulDType: { } matmul } => $"float32 (matrix products in {matmul.ToString().ToLowerInvariant()})",
                { Int8: true } => "float32 (matrix products in int8 where the CPU has VNNI)",
                _ => "float32",
            },
            model_type = modelType,
            architectures = model.Config.Architectures,
            embedding_dimensions = model.Dimensions,
            max_concurrent_requests = options.MaxConcurrentRequests,
            max_input_length = model.MaxLength,
            max_batch_tokens = options.MaxBatchTokens,
            max_batch_requests = options.MaxBatchRequests,
            max_batch_padding = options.MaxBatchPadding,
            max_client_batch_size = options.MaxClientBatchSize,
            auto_truncate = options.AutoTruncate,
            tokenization_workers = Environment.ProcessorCount,
            version = typeof(OperationsRoutes).Assembly.GetName().Version?.ToString(),
            routes = RouteCatalog.All.Where(r => r.Needs is not ModelCapability n || model.Supports(n)).Select(r => new { method = r.Method, path = r.Path }),
            models = host.Slots.Select(s => s.Name),
        };
        await Results.Json(info, ModelRequests.Json).ExecuteAsync(context).ConfigureAwait(false);
    }

    /// <summary>
    /// OpenAI's model list: <c>{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}</c>, one entry
    /// per served model, the default first.
    /// </summary>
    public static async Task ModelsAsync(HttpContext context)
    {
        var host = context.RequestServices.GetRequiredService<AlbertModelHost>();
        if (!ApiKey.Allows(context, host.Options))
        {
            await ApiKey.RejectAsync(context).ConfigureAwait(false);
            return;
        }

        var list = new
        {
            @object = "list",
            data = host.Slots.Select(s => new { id = s.Name, @object = "model", created = StartedAt, owned_by = "albertgen" }),
        };
        await Results.Json(list, ModelRequests.Json).ExecuteAsync(context).ConfigureAwait(false);
    }

    /// <summary>When the process started, as Unix seconds: OpenAI's <c>created</c> of a model served since then.</summary>
    private static long StartedAt { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}

/// <summary>Ready when the model is loaded and warmed and its batcher runs; reads a flag, never queues.</summary>
internal sealed class ModelReadinessCheck(AlbertModelHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(host.NotReadyReason is { } reason ? HealthCheckResult.Unhealthy(reason) : HealthCheckResult.Healthy());

    /// <summary>TEI's answer: 200 with an empty body when healthy, else 503 with a TEI error naming the reason.</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        if (report.Status == HealthStatus.Healthy)
        {
            return Task.CompletedTask;
        }

        string reason = string.Join(" ", report.Entries.Values.Select(e => e.Description).Where(d => d is not null));
        return ModelRequests.WriteErrorAsync(context, new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unhealthy, reason));
    }
}

/// <summary>The optional API key: <c>Authorization: Bearer &lt;key&gt;</c>, compared in constant time.</summary>
internal static class ApiKey
{
    public static bool Allows(HttpContext context, AlbertServerOptions options)
    {
        if (options.ApiKey is not string key)
        {
            return true;
        }

        string header = context.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()), Encoding.UTF8.GetBytes(key));
    }

    public static Task RejectAsync(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ModelRequests.WriteErrorAsync(context, new ApiException(StatusCodes.Status401Unauthorized, ErrorTypes.Validation,
            "Missing or wrong API key: send the header 'Authorization: Bearer <key>'."));
    }
}
