namespace Motadata.Cache.Server.Security;

/// <summary>Endpoint metadata saying who may call a route: anyone, a key allowed the route's tenant, or an admin key.</summary>
internal sealed class RouteAccess
{
    private RouteAccess(bool tenantScoped, bool hasKey, bool admin)
    {
        TenantScoped = tenantScoped;
        HasKey = hasKey;
        Admin = admin;
    }

    /// <summary>A <c>/v1/tenants/{tenant}/...</c> route without a key.</summary>
    public static RouteAccess Tenant { get; } = new(tenantScoped: true, hasKey: false, admin: false);

    /// <summary>A <c>/v1/tenants/{tenant}/keys/{**key}</c> route.</summary>
    public static RouteAccess TenantKey { get; } = new(tenantScoped: true, hasKey: true, admin: false);

    /// <summary>An admin route over the whole cache.</summary>
    public static RouteAccess AdminOnly { get; } = new(tenantScoped: false, hasKey: false, admin: true);

    /// <summary>Whether the route's path names a tenant.</summary>
    public bool TenantScoped { get; }

    /// <summary>Whether the route's path ends in a key.</summary>
    public bool HasKey { get; }

    /// <summary>Whether only admin keys may call it.</summary>
    public bool Admin { get; }
}
