using System.Text.Json;
using AlbertGen.Server.Engine;
using AlbertGen.Server.Http;
using AlbertGen.Server.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AlbertGen.Server;

/// <summary>
/// Hosting the AlbertGen routes in any ASP.NET Core app: <see cref="AddAlbertServer"/> on the services, then
/// <see cref="MapAlbertEndpoints"/> on the app.
/// </summary>
/// <example>
/// <code>
/// var builder = WebApplication.CreateBuilder(args);
/// builder.Services.AddAlbertServer(new AlbertServerOptions { ModelDirectory = "models/shakespeare" });
/// var app = builder.Build();
/// app.MapAlbertEndpoints();
/// app.Run();
/// </code>
/// </example>
public static class AlbertServerExtensions
{
    /// <summary>
    /// Registers the model host (loaded and warmed in the background when the app starts, disposed when it stops), its
    /// readiness check, and the Prometheus export of <see cref="ServerMetrics"/> (prometheus-net).
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="options">What to serve.</param>
    /// <returns>The services.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static IServiceCollection AddAlbertServer(this IServiceCollection services, AlbertServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton<AlbertModelHost>();
        services.AddHostedService(provider => provider.GetRequiredService<AlbertModelHost>());
        services.AddHealthChecks().AddCheck<ModelReadinessCheck>("model");
        services.AddMetrics();
        // A hosted service only so that it listens from start-up on, before the first request is measured.
        services.AddSingleton<PrometheusExport>();
        services.AddHostedService(provider => provider.GetRequiredService<PrometheusExport>());
        return services;
    }

    /// <summary>
    /// Maps every route of <see cref="RouteCatalog"/>: TEI's (<c>/embed</c>, <c>/predict</c>, <c>/rerank</c>, <c>/tokenize</c>,
    /// <c>/decode</c>, <c>/v1/embeddings</c>, <c>/info</c>, <c>/health</c>, <c>/metrics</c>) and the HuggingFace task routes.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <returns>The app.</returns>
    public static IEndpointRouteBuilder MapAlbertEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        MapModelRoute(endpoints, RouteCatalog.Embed, EmbeddingRoutes.EmbedAsync);
        MapModelRoute(endpoints, RouteCatalog.OpenAIEmbeddings, EmbeddingRoutes.OpenAIAsync);
        MapModelRoute(endpoints, RouteCatalog.Predict, ClassificationRoutes.PredictAsync);
        MapModelRoute(endpoints, RouteCatalog.Rerank, ClassificationRoutes.RerankAsync);
        MapModelRoute(endpoints, RouteCatalog.Tokenize, TokenizerRoutes.TokenizeAsync);
        MapModelRoute(endpoints, RouteCatalog.Decode, TokenizerRoutes.DecodeAsync);
        MapModelRoute(endpoints, RouteCatalog.FillMask, TaskRoutes.FillMaskAsync);
        MapModelRoute(endpoints, RouteCatalog.TokenClassification, TaskRoutes.TokenClassificationAsync);
        MapModelRoute(endpoints, RouteCatalog.QuestionAnswering, TaskRoutes.QuestionAnsweringAsync);
        MapModelRoute(endpoints, RouteCatalog.MultipleChoice, TaskRoutes.MultipleChoiceAsync);
        endpoints.MapGet(RouteCatalog.Info.Path, OperationsRoutes.InfoAsync);
        endpoints.MapHealthChecks(RouteCatalog.Health.Path, new HealthCheckOptions { ResponseWriter = ModelReadinessCheck.WriteAsync });
        endpoints.MapGet(RouteCatalog.Metrics.Path, async context =>
        {
            if (ApiKey.Allows(context, context.RequestServices.GetRequiredService<AlbertServerOptions>()))
            {
                await context.RequestServices.GetRequiredService<PrometheusExport>().WriteAsync(context).ConfigureAwait(false);
            }
            else
            {
                await ApiKey.RejectAsync(context).ConfigureAwait(false);
            }
        });
        return endpoints;
    }

    /// <summary>
    /// Answers every unmapped path with a TEI-shaped 404 that lists the routes (405 for a route's path with another method),
    /// instead of an empty 404. Call it last; it is
    /// not part of <see cref="MapAlbertEndpoints"/> because an app may have a fallback of its own.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <returns>The app.</returns>
    public static IEndpointRouteBuilder MapAlbertFallback(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapFallback(context =>
        {
            ServerRoute[] samePath = [.. RouteCatalog.All.Where(r => string.Equals(r.Path, context.Request.Path, StringComparison.OrdinalIgnoreCase))];
            if (samePath.Length > 0)
            {
                context.Response.Headers.Allow = string.Join(", ", samePath.Select(r => r.Method));
                return ModelRequests.WriteErrorAsync(context, new ApiException(StatusCodes.Status405MethodNotAllowed, ErrorTypes.Validation,
                    $"{context.Request.Path} takes {string.Join(" or ", samePath.Select(r => r.Method))}, not {context.Request.Method}."));
            }

            return ModelRequests.WriteErrorAsync(context, new ApiException(StatusCodes.Status404NotFound, ErrorTypes.Validation,
                $"No route {context.Request.Method} {context.Request.Path}; the routes are {string.Join(", ", RouteCatalog.All.Select(r => $"{r.Method} {r.Path}"))} (GET /info lists those this model serves)."));
        });
        return endpoints;
    }

    private static void MapModelRoute(IEndpointRouteBuilder endpoints, ServerRoute route, Func<RequestScope, JsonElement, Task<object>> handle) =>
        endpoints.MapPost(route.Path, context => ModelRequests.HandleAsync(context, route, handle));
}
