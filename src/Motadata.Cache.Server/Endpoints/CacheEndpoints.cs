using System.ComponentModel;
using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Motadata.Cache.Server.Configuration;
using Motadata.Cache.Server.Endpoints.Contracts;
using Motadata.Cache.Server.Security;

namespace Motadata.Cache.Server.Endpoints;

/// <summary>
/// The <c>/v1</c> routes. Handlers take the tenant and key decoded by <see cref="TenantAccessMiddleware"/>, call
/// <see cref="CacheMechanism"/>, and turn its <see cref="ArgumentException"/>s into 400s carrying its message.
/// The read path writes the stored bytes straight to the response: no JSON, no copy.
/// </summary>
internal sealed class CacheEndpoints
{
    /// <summary>The longest TTL accepted, in seconds (about 68 years).</summary>
    public const long MaxTtlSeconds = int.MaxValue;

    private const string TenantTag = "Tenant";
    private const string AdminTag = "Admin";

    // The route values bound below document the parameters; the handlers read the tenant and key that
    // TenantAccessMiddleware decoded from the raw target, which alone tells '%2F' from '%252F'.
    private const string TenantDescription = "The tenant, percent-encoded: 1 to 256 characters.";
    private const string KeyDescription = "The key, percent-encoded: 1 to Cache:MaxKeyLength characters; it may contain '/'.";
    private readonly CacheMechanism _cache;
    private readonly int _maxValueBytes;
    private readonly int _maxRequestBytes;
    private readonly int _maxWarmEntries;
    private readonly bool _remote;

    /// <summary>Creates the handlers.</summary>
    /// <param name="cache">The cache.</param>
    /// <param name="maxValueBytes">The largest value body accepted (<c>Cache:MaxValueBytes</c>).</param>
    /// <param name="service">The service settings.</param>
    public CacheEndpoints(CacheMechanism cache, int maxValueBytes, ServiceOptions service)
    {
        _cache = cache;
        _maxValueBytes = maxValueBytes;
        _maxRequestBytes = service.MaxRequestBytes;
        _maxWarmEntries = service.MaxWarmEntries;
        _remote = cache.Backend != CacheBackend.Memory;
    }

    /// <summary>Maps every <c>/v1</c> route.</summary>
    /// <param name="routes">Where to map them.</param>
    /// <param name="rateLimitPolicy">The rate limiting policy of tenant routes, or null for none.</param>
    public void Map(IEndpointRouteBuilder routes, string? rateLimitPolicy)
    {
        var tenant = routes.MapGroup("/v1/tenants/{tenant}").WithTags(TenantTag)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        if (rateLimitPolicy is not null)
        {
            tenant.RequireRateLimiting(rateLimitPolicy);
        }

        tenant.MapPut("/keys/{**key}", PutAsync).WithMetadata(RouteAccess.TenantKey).WithName("SetKey")
            .WithSummary("Stores the body under the key, keeping its content type.")
            .WithDescription("`?ttl=SECONDS` (a whole number from 1 to 2147483647) sets how long it lives; absent, Cache:Ttl applies. A body larger than Cache:MaxValueBytes is refused with 413.")
            .Accepts<byte[]>("*/*")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        tenant.MapGet("/keys/{**key}", GetAsync).WithMetadata(RouteAccess.TenantKey).WithName("GetKey")
            .WithSummary("The stored body, with the content type it was stored with.")
            .Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream", "application/json", "text/plain")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapDelete("/keys/{**key}", DeleteAsync).WithMetadata(RouteAccess.TenantKey).WithName("DeleteKey")
            .WithSummary("Removes the key.")
            .WithDescription("202 {\"queued\": true} when the backend is not healthy and the removal was kept to be replayed.")
            .Produces(StatusCodes.Status204NoContent)
            .Produces<QueuedResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapDelete("/keys", ClearTenantAsync).WithMetadata(RouteAccess.Tenant("keys")).WithName("ClearTenant")
            .WithSummary("Removes every entry of the tenant.")
            .Produces<ClearedResponse>()
            .Produces<ClearedResponse>(StatusCodes.Status202Accepted);
        tenant.MapPost("/invalidate", InvalidateAsync).WithMetadata(RouteAccess.Tenant("invalidate")).WithName("Invalidate")
            .WithSummary("Removes the tenant's keys matching a Redis glob, such as user_*.")
            .Accepts<InvalidateRequest>("application/json", "*/*")
            .Produces<InvalidatedResponse>()
            .Produces<InvalidatedResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        tenant.MapPost("/warm", WarmAsync).WithMetadata(RouteAccess.Tenant("warm")).WithName("Warm")
            .WithSummary("Stores many JSON values at once; each is served back as application/json.")
            .Accepts<WarmRequest>("application/json", "*/*")
            .Produces<WarmedResponse>()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        tenant.MapGet("/stats", TenantStatsAsync).WithMetadata(RouteAccess.Tenant("stats")).WithName("TenantStats")
            .WithSummary("The tenant's statistics.")
            .Produces<TenantStatsResponse>();

        // Admin routes are limited by the per-key bucket (Service:RateLimit:KeyPermitsPerSecond) when limiting is on.
        var admin = routes.MapGroup("/v1").WithTags(AdminTag).WithMetadata(RouteAccess.AdminOnly)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        admin.MapGet("/stats", CacheStatsAsync).WithName("CacheStats")
            .WithSummary("The whole cache's statistics (admin keys only).")
            .Produces<CacheStatsResponse>();
        admin.MapDelete("/keys", ClearAllAsync).WithName("ClearAll")
            .WithSummary("Removes every entry of every tenant (admin keys only).")
            .Produces<ClearedResponse>()
            .Produces<ClearedResponse>(StatusCodes.Status202Accepted);
    }

    private async ValueTask GetAsync(HttpContext context, [Description(TenantDescription)] string tenant, [Description(KeyDescription)] string? key)
    {
        var request = context.Features.GetRequiredFeature<CacheRequestFeature>();
        byte[]? stored;
        try
        {
            stored = await _cache.GetAsync<byte[]>(request.Key!, request.Tenant, null, _remote ? context.RequestAborted : default);
        }
        catch (ArgumentException exception)
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, exception.Message);
            return;
        }

        if (stored is null)
        {
            await Problems.WriteAsync(context, StatusCodes.Status404NotFound, $"Tenant '{request.Tenant}' has no key '{request.Key}' (never set, deleted, or expired).");
            return;
        }

        var body = StoredValue.Read(stored, out var contentType);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted);
    }

    private async ValueTask PutAsync(HttpContext context, [Description(TenantDescription)] string tenant, [Description(KeyDescription)] string? key)
    {
        var request = context.Features.GetRequiredFeature<CacheRequestFeature>();
        if (!TryReadTtl(context, out var ttl, out var ttlError))
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, ttlError);
            return;
        }

        var contentType = StoredValue.ForRequest(context.Request.ContentType);
        if (!StoredValue.IsServable(contentType, out var bad))
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, $"The Content-Type has the character U+{(int)contentType[bad]:X4} at position {bad}; it may hold printable ASCII characters and tabs only (such as 'text/plain; charset=utf-8'), as any HTTP header served back must. Nothing was stored.");
            return;
        }

        var headerLength = StoredValue.HeaderLength(contentType);
        if (headerLength > StoredValue.MaxOverheadBytes)
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, $"The Content-Type is {headerLength} bytes long; at most {StoredValue.MaxContentTypeBytes} bytes are kept.");
            return;
        }

        var body = await BoundedBody.ReadAsync(context.Request, _maxValueBytes, headerLength);
        if (body is not { } read)
        {
            await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"The body is {Describe(context.Request.ContentLength)}; the most a value may have is {_maxValueBytes} bytes (Cache:MaxValueBytes). Nothing was stored.");
            return;
        }

        StoredValue.WriteHeader(contentType, read.Buffer);
        CacheWriteStatus status;
        try
        {
            status = await _cache.SetWithStatusAsync(request.Key!, read.Buffer, ttl, request.Tenant, context.RequestAborted);
        }
        catch (ArgumentException exception)
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, exception.Message);
            return;
        }

        switch (status)
        {
            case CacheWriteStatus.Stored:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            case CacheWriteStatus.TooLarge:
                await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "The cache refused the value as too large for it (Cache:MaxValueBytes once encoded, or Cache:MaxMemoryBytes and the tenant's memory quota on the memory backend). Nothing was stored.");
                break;
            default:
                await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "The backend did not store the value: the server is unreachable (the key was queued for removal so no older value is served). Nothing was stored; retry later.");
                break;
        }
    }

    private async ValueTask DeleteAsync(HttpContext context, [Description(TenantDescription)] string tenant, [Description(KeyDescription)] string? key)
    {
        var request = context.Features.GetRequiredFeature<CacheRequestFeature>();
        bool removed;
        try
        {
            removed = await _cache.DeleteAsync(request.Key!, request.Tenant, context.RequestAborted);
        }
        catch (ArgumentException exception)
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, exception.Message);
            return;
        }

        if (!removed)
        {
            if (MayHaveQueued)
            {
                context.Response.StatusCode = StatusCodes.Status202Accepted;
                await context.Response.WriteAsJsonAsync(new QueuedResponse(true), ServiceJsonContext.Default.QueuedResponse, cancellationToken: context.RequestAborted);
                return;
            }

            await Problems.WriteAsync(context, StatusCodes.Status404NotFound, $"Tenant '{request.Tenant}' has no key '{request.Key}' to delete.");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async ValueTask ClearTenantAsync(HttpContext context, [Description(TenantDescription)] string tenant)
    {
        var request = context.Features.GetRequiredFeature<CacheRequestFeature>();
        long cleared;
        try
        {
            cleared = await _cache.ClearAsync(request.Tenant, context.RequestAborted);
        }
        catch (ArgumentException exception)
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, exception.Message);
            return;
        }

        await WriteClearedAsync(context, cleared);
    }

    private async ValueTask InvalidateAsync(HttpContext context, [Description(TenantDescription)] string tenant)
    {
        var request = context.Features.GetRequiredFeature<CacheRequestFeature>();
        var body = await BoundedBody.ReadAsync(context.Request, _maxRequestBytes, 0);
        if (body is not { } read)
        {
            await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"The body is {Describe(context.Request.ContentLength)}; the most a request body may have is {_maxRequestBytes} bytes (Service:MaxRequestBytes).");
            return;
        }

        if (!InvalidateBody.TryParse(read.Buffer.AsSpan(0, read.Length), out var pattern, out var error))
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, error!);
            return;
        }

        long invalidated;
        try
        {
            invalidated = await _cache.InvalidateAsync(pattern, request.Tenant, context.RequestAborted);
        }
        catch (ArgumentException exception)
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, exception.Message);
            return;
        }

        var queued = invalidated == 0 && MayHaveQueued;
        context.Response.StatusCode = queued ? StatusCodes.Status202Accepted : StatusCodes.Status200OK;
        await context.Response.WriteAsJsonAsync(new InvalidatedResponse(invalidated, queued), ServiceJsonContext.Default.InvalidatedResponse, cancellationToken: context.RequestAborted);
    }

    private async ValueTask WarmAsync(HttpContext context, [Description(TenantDescription)] string tenant)
    {
        var request = context.Features.GetRequiredFeature<CacheRequestFeature>();
        var body = await BoundedBody.ReadAsync(context.Request, _maxRequestBytes, 0);
        if (body is not { } read)
        {
            await Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"The body is {Describe(context.Request.ContentLength)}; the most a request body may have is {_maxRequestBytes} bytes (Service:MaxRequestBytes). Nothing was stored.");
            return;
        }

        if (!WarmBody.TryParse(read.Buffer.AsSpan(0, read.Length), _maxValueBytes, _maxWarmEntries, out var entries, out var ttlSeconds, out var error, out var tooLarge))
        {
            await Problems.WriteAsync(context, tooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, error!);
            return;
        }

        if (ttlSeconds is { } seconds && (seconds < 1 || seconds > MaxTtlSeconds))
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, $"\"ttl\" is {seconds}; it must be a whole number of seconds from 1 to {MaxTtlSeconds}. Nothing was stored.");
            return;
        }

        long warmed;
        try
        {
            warmed = await _cache.WarmCacheAsync(entries, ttlSeconds is { } s ? TimeSpan.FromSeconds(s) : null, request.Tenant, context.RequestAborted);
        }
        catch (ArgumentException exception)
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, exception.Message);
            return;
        }

        await context.Response.WriteAsJsonAsync(new WarmedResponse(warmed), ServiceJsonContext.Default.WarmedResponse, cancellationToken: context.RequestAborted);
    }

    private async ValueTask TenantStatsAsync(HttpContext context, [Description(TenantDescription)] string tenant)
    {
        var request = context.Features.GetRequiredFeature<CacheRequestFeature>();
        CacheStats stats;
        try
        {
            stats = await _cache.GetStatsAsync(request.Tenant, context.RequestAborted);
        }
        catch (ArgumentException exception)
        {
            await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, exception.Message);
            return;
        }

        await context.Response.WriteAsJsonAsync(TenantStatsResponse.From(stats), ServiceJsonContext.Default.TenantStatsResponse, cancellationToken: context.RequestAborted);
    }

    private async ValueTask CacheStatsAsync(HttpContext context)
    {
        var stats = await _cache.GetStatsAsync(null, context.RequestAborted);
        await context.Response.WriteAsJsonAsync(CacheStatsResponse.From(_cache.Backend, stats), ServiceJsonContext.Default.CacheStatsResponse, cancellationToken: context.RequestAborted);
    }

    private async ValueTask ClearAllAsync(HttpContext context)
    {
        var cleared = await _cache.ClearAsync(null, context.RequestAborted);
        await WriteClearedAsync(context, cleared);
    }

    private Task WriteClearedAsync(HttpContext context, long cleared)
    {
        var queued = cleared == 0 && MayHaveQueued;
        context.Response.StatusCode = queued ? StatusCodes.Status202Accepted : StatusCodes.Status200OK;
        return context.Response.WriteAsJsonAsync(new ClearedResponse(cleared, queued), ServiceJsonContext.Default.ClearedResponse, cancellationToken: context.RequestAborted);
    }

    /// <summary>
    /// True when a removal that reports nothing removed may instead have been kept for replay: with recovery on, a
    /// removal the server did not take is journaled and the cache leaves Healthy until the journal is replayed. The
    /// library says no more than that today, so a removal that found nothing while the backend was already degraded
    /// is answered "queued" too; either way the entry is gone, or will be once replayed.
    /// </summary>
    private bool MayHaveQueued => _remote && _cache.Health.Status != CacheHealthStatus.Healthy;

    private static bool TryReadTtl(HttpContext context, out TimeSpan? ttl, out string error)
    {
        ttl = null;
        error = string.Empty;
        if (!context.Request.QueryString.HasValue)
        {
            return true;
        }

        var values = context.Request.Query["ttl"];
        if (values.Count == 0)
        {
            return true;
        }

        if (values.Count > 1
            || !long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds < 1
            || seconds > MaxTtlSeconds)
        {
            error = $"ttl is '{values}'; it must be one whole number of seconds from 1 to {MaxTtlSeconds}, such as ?ttl=3600, or absent for the configured default.";
            return false;
        }

        ttl = TimeSpan.FromSeconds(seconds);
        return true;
    }

    private static string Describe(long? contentLength) =>
        contentLength is { } length ? $"{length} bytes" : "over the limit";
}
