namespace Motadata.Cache.Server.Security;

/// <summary>
/// Endpoint metadata saying who may call a route (anyone, a key allowed the route's tenant, or an admin key) and,
/// for tenant routes, the segment after the tenant, which <see cref="CachePath"/> checks in the raw target too.
/// </summary>
internal sealed class RouteAccess
{
    private RouteAccess(string? routeSegment, bool hasKey, bool admin, bool metrics = false)
    {
        RouteSegment = routeSegment;
        HasKey = hasKey;
        Admin = admin;
        Metrics = metrics;
    }

    /// <summary>A <c>/v1/tenants/{tenant}/keys/{**key}</c> route.</summary>
    public static RouteAccess TenantKey { get; } = new("keys", hasKey: true, admin: false);

    /// <summary>An admin route over the whole cache.</summary>
    public static RouteAccess AdminOnly { get; } = new(null, hasKey: false, admin: true);

    /// <summary><c>/metrics</c> when <c>Service:Metrics:RequireApiKey</c> is on: keys with <c>Metrics</c> or <c>Admin</c>.</summary>
    public static RouteAccess MetricsOnly { get; } = new(null, hasKey: false, admin: false, metrics: true);

    /// <summary>Whether the route's path names a tenant.</summary>
    public bool TenantScoped => RouteSegment is not null;

    /// <summary>The segment after <c>/v1/tenants/{tenant}/</c> (<c>stats</c>, <c>keys</c>...), or null on a route without a tenant.</summary>
    public string? RouteSegment { get; }

    /// <summary>Whether the route's path ends in a key.</summary>
    public bool HasKey { get; }

    /// <summary>Whether only admin keys may call it.</summary>
    public bool Admin { get; }

    /// <summary>Whether only keys that may read metrics may call it.</summary>
    public bool Metrics { get; }

    /// <summary>A <c>/v1/tenants/{tenant}/{segment}</c> route without a key.</summary>
    /// <param name="segment">The route's last segment, such as <c>stats</c>.</param>
    /// <returns>The metadata.</returns>
    public static RouteAccess Tenant(string segment) => new(segment, hasKey: false, admin: false);
}
