using Microsoft.AspNetCore.Http.Features;
using Motadata.Cache.Server.Endpoints;

namespace Motadata.Cache.Server.Security;

/// <summary>
/// Runs before routing and refuses (400) a request whose raw path a normalizer would rewrite: a <c>.</c> or
/// <c>..</c> segment (plain or <c>%2E</c>), an empty segment, a <c>\</c>. Without it, Kestrel would route the
/// cleaned path while the tenant and key are read from the raw one (issue 10, F1). Every route goes through it.
/// </summary>
internal sealed class RequestTargetMiddleware
{
    private readonly RequestDelegate _next;

    /// <summary>Creates the middleware.</summary>
    /// <param name="next">The rest of the pipeline.</param>
    public RequestTargetMiddleware(RequestDelegate next) => _next = next;

    /// <summary>Checks one request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task that completes when the request is handled.</returns>
    public Task InvokeAsync(HttpContext context)
    {
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var ambiguity = RequestTarget.FindAmbiguity(RequestTarget.Path(rawTarget));
        if (ambiguity is null)
        {
            return _next(context);
        }

        return Problems.WriteAsync(
            context,
            StatusCodes.Status400BadRequest,
            $"The request path has {ambiguity}, which clients, proxies and this server may each read differently, so it is refused. " +
            "Every path segment must be non-empty and neither '.' nor '..' (nor '%2E'). A key may still contain any of these: " +
            "percent-encode the '/' inside the key as %2F (the key 'a/..' is sent as 'a%2F..').").AsTask();
    }
}
