using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AlbertGen.Server.Playground;

/// <summary>
/// <c>GET /</c>: the playground, one static HTML and JavaScript page embedded in the assembly, which calls this server's
/// own routes for each served model (nothing is fetched from elsewhere). <c>--no-playground</c> leaves it unmapped;
/// with an API key it needs the key like every other route.
/// </summary>
internal static class PlaygroundRoute
{
    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using Stream stream = typeof(PlaygroundRoute).Assembly.GetManifestResourceStream("AlbertGen.Server.playground.html")
            ?? throw new InvalidOperationException("The playground page is not embedded in AlbertGen.Server.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public const string Path = "/";

    public static async Task ServeAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<AlbertServerOptions>();
        if (!Http.ApiKey.Allows(context, options))
        {
            await Http.ApiKey.RejectAsync(context).ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = "text/html; charset=utf-8";
        // The page loads nothing from elsewhere; the policy makes the browser hold it to that.
        context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'";
        await context.Response.Body.WriteAsync(Page.Value, context.RequestAborted).ConfigureAwait(false);
    }
}
