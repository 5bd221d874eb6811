using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.Features;
using Motadata.Cache.Server.Endpoints;
using Motadata.Cache.Server.Telemetry;

namespace Motadata.Cache.Server.Security;

/// <summary>
/// Runs after routing and before the rate limiter and the handlers: decodes the tenant and key of cache routes,
/// and, when API keys are configured, checks the bearer key against the route (401 for a missing or unknown key,
/// 403 for a tenant the key may not use or a non-admin key on an admin route). Unauthenticated calls never reach
/// the rate limiter, so they cannot spend a tenant's budget.
/// </summary>
internal sealed class TenantAccessMiddleware
{
    private const string BearerPrefix = "Bearer ";
    private const string Challenge = "Bearer realm=\"Motadata.Cache\"";
    private const string InvalidKeyChallenge = "Bearer realm=\"Motadata.Cache\", error=\"invalid_token\"";
    private readonly RequestDelegate _next;
    private readonly ApiKeyRing _keys;
    private readonly ServiceMetrics _metrics;
    private readonly ConditionalWeakTable<string, ApiKeyGrant> _verified = [];

    /// <summary>Creates the middleware.</summary>
    /// <param name="next">The rest of the pipeline.</param>
    /// <param name="keys">The configured API keys.</param>
    /// <param name="metrics">Where tenants seen are recorded for <c>/metrics</c>.</param>
    public TenantAccessMiddleware(RequestDelegate next, ApiKeyRing keys, ServiceMetrics metrics)
    {
        _next = next;
        _keys = keys;
        _metrics = metrics;
    }

    /// <summary>Checks one request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task that completes when the request is handled.</returns>
    public Task InvokeAsync(HttpContext context)
    {
        var access = context.GetEndpoint()?.Metadata.GetMetadata<RouteAccess>();
        if (access is null)
        {
            return _next(context);
        }

        string? tenant = null;
        if (access.TenantScoped)
        {
            var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
            if (!CachePath.TryParse(rawTarget, access, out tenant, out var key))
            {
                return Problems.WriteAsync(
                    context,
                    StatusCodes.Status400BadRequest,
                    $"The path '{context.Request.Path}' could not be read as /v1/tenants/{{tenant}}/{access.RouteSegment}{(access.HasKey ? "/{key}" : string.Empty)}: percent-encode the tenant and key (a key may contain '/', or '%2F').").AsTask();
            }

            context.Features.Set(new CacheRequestFeature(tenant, key));
        }

        if (_keys.Enabled)
        {
            var grant = Authenticate(context, out var failure);
            if (grant is null)
            {
                context.Response.Headers.WWWAuthenticate = failure == AuthFailure.Missing ? Challenge : InvalidKeyChallenge;
                return Problems.WriteAsync(
                    context,
                    StatusCodes.Status401Unauthorized,
                    failure == AuthFailure.Missing
                        ? "This route needs an API key: send it as 'Authorization: Bearer <key>'."
                        : "The API key sent in 'Authorization: Bearer <key>' is not one this service knows.").AsTask();
            }

            if (access.Admin && !grant.Admin)
            {
                return Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "This route is for admin keys only; this API key is not an admin key.").AsTask();
            }

            if (access.Metrics && !grant.Metrics)
            {
                return Problems.WriteAsync(context, StatusCodes.Status403Forbidden, "/metrics needs a key with \"Metrics\": true or \"Admin\": true (Service:Metrics:RequireApiKey is on); this API key may only use tenants.").AsTask();
            }

            if (tenant is not null && !grant.Allows(tenant))
            {
                return Problems.WriteAsync(context, StatusCodes.Status403Forbidden, $"This API key may not use tenant '{tenant}'.").AsTask();
            }

            // The per-key rate limit is keyed on the grant itself (no allocation per request).
            context.Features.Set(grant);
        }

        if (tenant is not null)
        {
            _metrics.TrackTenant(tenant);
        }

        return _next(context);
    }

    private ApiKeyGrant? Authenticate(HttpContext context, out AuthFailure failure)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { } value || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            failure = AuthFailure.Missing;
            return null;
        }

        // Kestrel hands a keep-alive connection's repeated header back as the same string instance, so a header
        // already verified is recognised by reference (no content comparison, so no timing to observe) and the
        // key is hashed once per connection instead of once per request.
        if (_verified.TryGetValue(value, out var known))
        {
            failure = AuthFailure.None;
            return known;
        }

        var token = value.AsSpan(BearerPrefix.Length).Trim();
        if (token.IsEmpty)
        {
            failure = AuthFailure.Missing;
            return null;
        }

        var grant = _keys.Find(token);
        if (grant is null)
        {
            failure = AuthFailure.Unknown;
            return null;
        }

        _verified.AddOrUpdate(value, grant);
        failure = AuthFailure.None;
        return grant;
    }

    private enum AuthFailure
    {
        None,
        Missing,
        Unknown,
    }
}
