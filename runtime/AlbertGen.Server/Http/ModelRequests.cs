using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using AlbertGen.Server.Engine;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AlbertGen.Server.Http;

/// <summary>
/// What every model route does around its own work: readiness (503), the route's capability (400), the concurrency
/// permit (429), the JSON body (400 when it is not JSON), then TEI's timing headers, metrics, one structured log line,
/// and errors as TEI's <c>{"error", "error_type"}</c>. Bad input never becomes a 5xx.
/// </summary>
internal static class ModelRequests
{
    /// <summary>How responses are written: field names are given explicitly by the routes; floats as the shortest round-trip text.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = null, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task HandleAsync(HttpContext context, ServerRoute route, Func<RequestScope, JsonElement, Task<object>> handle)
    {
        long start = Stopwatch.GetTimestamp();
        var host = context.RequestServices.GetRequiredService<AlbertModelHost>();
        ILogger logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("AlbertGen.Server.Requests");
        var routeTag = new KeyValuePair<string, object?>("route", route.Path);
        var modelTag = new KeyValuePair<string, object?>("model", host.Slots[0].Name); // until the body names one
        host.Metrics.Requests.Add(1, routeTag);
        if (!ApiKey.Allows(context, host.Options))
        {
            host.Metrics.Failures.Add(1, new KeyValuePair<string, object?>("err", "unauthorized"), routeTag);
            await ApiKey.RejectAsync(context).ConfigureAwait(false);
            return;
        }

        RequestScope? scope = null;
        try
        {
            JsonElement body = await ReadBodyAsync(context).ConfigureAwait(false);
            ModelSlot slot = host.Find(ModelName(body));
            modelTag = new KeyValuePair<string, object?>("model", slot.Name);
            ServedModel model = slot.Model is { } loaded && slot.IsReady
                ? loaded
                : throw new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unhealthy, host.NotReadyReason ?? "The model is not ready.");
            if (route.Needs is ModelCapability needed && !model.Supports(needed))
            {
                throw new ApiException(StatusCodes.Status400BadRequest, ErrorTypes.Backend, Unsupported(model, route, needed));
            }

            using IDisposable permit = slot.Queue.AcquirePermit();
            scope = new RequestScope(model, slot.Name, host.Options, slot.Queue, context.RequestAborted);
            object result = await handle(scope, body).ConfigureAwait(false);
            TimeSpan total = Stopwatch.GetElapsedTime(start);
            WriteTimingHeaders(context.Response, scope, total);
            RecordSuccess(host, scope, routeTag, modelTag, total);
            logger.LogInformation(
                "{HttpMethod} {Route} 200: {Inputs} inputs, {Tokens} tokens; total {TotalMs:0.00} ms, tokenization {TokenizationMs:0.00} ms, queue {QueueMs:0.00} ms, inference {InferenceMs:0.00} ms, postprocessing {PostprocessingMs:0.00} ms",
                context.Request.Method, route.Path, scope.Inputs, scope.Tokens, total.TotalMilliseconds, scope.Tokenization.TotalMilliseconds,
                scope.Queue.TotalMilliseconds, scope.Inference.TotalMilliseconds, scope.Postprocessing.TotalMilliseconds);
            await Results.Json(result, Json).ExecuteAsync(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer. 499 is nginx's "client closed request".
            context.Response.StatusCode = 499;
            logger.LogInformation("{HttpMethod} {Route}: the client closed the request", context.Request.Method, route.Path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ApiException error = AsApiError(e);
            host.Metrics.Failures.Add(1, new KeyValuePair<string, object?>("err", error.ErrorType), routeTag, modelTag);
            if (error.Status >= 424 && error.ErrorType == ErrorTypes.Backend)
            {
                logger.LogError(e, "{HttpMethod} {Route} {Status} {ErrorType}: {Error}", context.Request.Method, route.Path, error.Status, error.ErrorType, error.Message);
            }
            else
            {
                logger.LogWarning("{HttpMethod} {Route} {Status} {ErrorType}: {Error}", context.Request.Method, route.Path, error.Status, error.ErrorType, error.Message);
            }

            if (scope is not null)
            {
                WriteTimingHeaders(context.Response, scope, Stopwatch.GetElapsedTime(start));
            }

            await WriteErrorAsync(context, error).ConfigureAwait(false);
        }
    }

    /// <summary>Writes <c>{"error": …, "error_type": …}</c> with the error's status.</summary>
    public static Task WriteErrorAsync(HttpContext context, ApiException error) =>
        Results.Json(new { error = error.Message, error_type = error.ErrorType }, Json, statusCode: error.Status).ExecuteAsync(context);

    /// <summary>The message of a route the model cannot serve, with what would serve it and what can be used instead.</summary>
    public static string Unsupported(ServedModel model, ServerRoute route, ModelCapability needed)
    {
        string what = $"a checkpoint of {ModelCapabilities.Classes(needed)} ({ModelCapabilities.Description(needed)})" + needed switch
        {
            ModelCapability.Reranking => " with one label (a cross-encoder)" +
                (model.Classifier is null ? "" : $"; this one has {model.Config.NumLabels} labels, use /predict"),
            _ => "",
        };
        string architectures = model.Config.Architectures.Count == 0 ? "none" : string.Join(", ", model.Config.Architectures);
        string available = string.Join(", ", RouteCatalog.All.Where(r => r.Needs is not ModelCapability n || model.Supports(n)).Select(r => r.Path));
        return $"{route.Path} needs {what}; the served model's architectures are {architectures}. Routes this model serves: {available}.";
    }

    private static async Task<JsonElement> ReadBodyAsync(HttpContext context)
    {
        try
        {
            using JsonDocument document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, ErrorTypes.Validation,
                $"The request body is not valid JSON: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    private static ApiException AsApiError(Exception e) => e switch
    {
        ApiException api => api,
        AggregateException { InnerExceptions.Count: 1 } aggregate => AsApiError(aggregate.InnerExceptions[0]),
        BadHttpRequestException bad => new ApiException(bad.StatusCode, ErrorTypes.Validation, bad.Message),
        // The library refuses an input it cannot use (no [MASK], a bad target, …): the request's fault.
        ArgumentException argument => ApiException.Invalid(argument.Message),
        _ => new ApiException(StatusCodes.Status424FailedDependency, ErrorTypes.Backend, $"The model failed: {e.Message}"),
    };

    private static void WriteTimingHeaders(HttpResponse response, RequestScope scope, TimeSpan total)
    {
        static string Ms(TimeSpan t) => ((long)Math.Round(t.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
        response.Headers["x-compute-type"] = "cpu";
        response.Headers["x-compute-time"] = Ms(total);
        response.Headers["x-compute-characters"] = scope.Characters.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-compute-tokens"] = scope.Tokens.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-total-time"] = Ms(total);
        response.Headers["x-tokenization-time"] = Ms(scope.Tokenization);
        response.Headers["x-queue-time"] = Ms(scope.Queue);
        response.Headers["x-inference-time"] = Ms(scope.Inference);
        response.Headers["x-postprocessing-time"] = Ms(scope.Postprocessing);
    }

    private static void RecordSuccess(AlbertModelHost host, RequestScope scope, KeyValuePair<string, object?> routeTag, KeyValuePair<string, object?> modelTag, TimeSpan total)
    {
        var method = new KeyValuePair<string, object?>("method", scope.Method);
        host.Metrics.Successes.Add(1, method, routeTag, modelTag);
        host.Metrics.Duration.Record(total.TotalSeconds, routeTag, modelTag);
        host.Metrics.TokenizationDuration.Record(scope.Tokenization.TotalSeconds, routeTag, modelTag);
        host.Metrics.QueueDuration.Record(scope.Queue.TotalSeconds, routeTag, modelTag);
        host.Metrics.InferenceDuration.Record(scope.Inference.TotalSeconds, routeTag, modelTag);
        host.Metrics.PostprocessingDuration.Record(scope.Postprocessing.TotalSeconds, routeTag, modelTag);
        host.Metrics.InputLength.Record(scope.Tokens, routeTag, modelTag);
    }

    /// <summary>
    /// The body's <c>"model"</c> (OpenAI's field; TEI-style bodies may carry it too), or null for the first model. The
    /// tokenizer routes' bodies may be a bare string or list, which names no model.
    /// </summary>
    private static string? ModelName(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty("model", out JsonElement model)
            ? JsonFields.String(model, "model")
            : null;
}
