using Microsoft.AspNetCore.Http.Features;
using Motadata.Cache.Server.Endpoints;

namespace Motadata.Cache.Server.Security;

/// <summary>
/// Runs before routing and refuses (400) a request whose raw path a normalizer would rewrite: a <c>.</c> or
/// <c>..</c> segment (plain or <c>%2E</c>), an empty segment, a <c>\</c>, a raw <c>#</c>. Without it, Kestrel would route the
/// cleaned path while the tenant and key are read from the raw one (issue 10, F1). Every route goes through it.
/// </summary>
internal sealed class RequestTargetMiddleware
{
    /// <summary>The longest request target answered, in characters (Kestrel's own default line limit).</summary>
    public const int MaxTargetLength = 8192;

    /// <summary>The most header bytes answered (names, values and their separators; Kestrel's own default).</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>
    /// Kestrel's limits, set above the ones checked here: Kestrel answers a request over its own limits before any of
    /// this code runs, with an empty body it offers no way to change, so the service refuses first, with a problem.
    /// </summary>
    public const int KestrelBackstopFactor = 2;

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
        if (rawTarget.Length > MaxTargetLength)
        {
            return Problems.WriteAsync(
                context,
                StatusCodes.Status414UriTooLong,
                $"The request target is {rawTarget.Length} characters long; at most {MaxTargetLength} are accepted. Keys are at most Cache:MaxKeyLength characters.").AsTask();
        }

        var headerBytes = HeaderBytes(context.Request.Headers);
        if (headerBytes > MaxHeaderBytes)
        {
            return Problems.WriteAsync(
                context,
                StatusCodes.Status431RequestHeaderFieldsTooLarge,
                $"The request headers are {headerBytes} bytes; at most {MaxHeaderBytes} are accepted.").AsTask();
        }

        // A fragment is never sent to a server (RFC 9110 section 7.1); a raw '#' is read as the path's end by some
        // readers (this service once did) and as part of it by others (Kestrel routes and removes dot segments after
        // it), so it is refused wherever it appears (issue 21, N2).
        if (rawTarget.Contains('#', StringComparison.Ordinal))
        {
            return Problems.WriteAsync(
                context,
                StatusCodes.Status400BadRequest,
                "The request target contains a raw '#', which clients, proxies and this server may each read differently, so it is refused. " +
                "A tenant, key or query value containing '#' must percent-encode it as %23 (the key 'a#b' is sent as 'a%23b').").AsTask();
        }

        var rawPath = RequestTarget.Path(rawTarget);
        var ambiguity = RequestTarget.FindAmbiguity(rawPath);

        // The general rule behind the one above: the router must see as many segments as were sent (Kestrel keeps
        // %2F encoded, so only a rewrite of the path changes the count). Anything the checks above miss stops here.
        if (ambiguity is null && !rawPath.IsEmpty && rawPath.Count('/') != context.Request.Path.Value.AsSpan().Count('/'))
        {
            ambiguity = "segments the server rewrote before routing";
        }

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

    private static long HeaderBytes(IHeaderDictionary headers)
    {
        // As Kestrel counts them: "Name: value\r\n" per value.
        long bytes = 0;
        foreach (var header in headers)
        {
            var values = header.Value;
            for (var i = 0; i < values.Count; i++)
            {
                bytes += header.Key.Length + (values[i]?.Length ?? 0) + 4;
            }
        }

        return bytes;
    }
}
