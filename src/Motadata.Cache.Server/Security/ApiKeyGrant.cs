using System.Collections.Frozen;

namespace Motadata.Cache.Server.Security;

/// <summary>What one API key may do: use some tenants (or all) and, if admin, the admin routes.</summary>
/// <param name="Name">The key's name, for logs; never the key.</param>
/// <param name="Hash">The SHA-256 of the key.</param>
/// <param name="Tenants">The tenants it may use; null for every tenant.</param>
/// <param name="Admin">Whether it may call the admin routes.</param>
/// <param name="Metrics">Whether it may read <c>/metrics</c> when a key is required there (admin keys may too).</param>
internal sealed record ApiKeyGrant(string Name, byte[] Hash, FrozenSet<string>? Tenants, bool Admin, bool Metrics)
{
    /// <summary>True when the key may use <paramref name="tenant"/>.</summary>
    /// <param name="tenant">The tenant asked for.</param>
    /// <returns>True when allowed.</returns>
    public bool Allows(string tenant) => Tenants is null || Tenants.Contains(tenant);
}
