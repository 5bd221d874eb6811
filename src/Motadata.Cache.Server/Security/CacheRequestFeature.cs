namespace Motadata.Cache.Server.Security;

/// <summary>
/// The tenant and key of a request, decoded once from the raw request target by <see cref="TenantAccessMiddleware"/>
/// and read by the handlers and the rate limiter, so all of them agree on which tenant a request is for.
/// </summary>
/// <param name="Tenant">The decoded tenant.</param>
/// <param name="Key">The decoded key, or null on a route without one.</param>
internal sealed record CacheRequestFeature(string Tenant, string? Key);
