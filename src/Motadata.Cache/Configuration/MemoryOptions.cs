namespace Motadata.Cache;

/// <summary>
/// The memory backend's bounds beyond <see cref="CacheConfig.MaxSize"/>: a byte bound, per-tenant quotas, and how
/// often expired entries are reclaimed (<see cref="CacheConfig.Memory"/>; null takes every default). Per-tenant quotas
/// apply to the memory backend only; <see cref="ExpirationScanInterval"/> also paces the in-process tiers of the
/// Dragonfly backend (the local level, the recovery fallback).
/// </summary>
public sealed class MemoryOptions
{
    private Dictionary<string, TenantQuota> _tenantQuotas = new(StringComparer.Ordinal);

    /// <summary>
    /// The most bytes the memory backend holds, by its estimate (strings 2 bytes a character, byte arrays their
    /// length, other objects a flat 64 bytes, plus the key). Null for no byte bound.
    /// </summary>
    /// <value>Default null.</value>
    public long? MaxMemoryBytes { get; set; }

    /// <summary>
    /// The most entries each tenant may hold; a tenant at its quota evicts its own entries, never another tenant's.
    /// Applies to named tenants, not the global namespace. Null for no per-tenant bound; <see cref="TenantQuotas"/>
    /// overrides it per tenant.
    /// </summary>
    /// <value>Default null.</value>
    public int? MaxSizePerTenant { get; set; }

    /// <summary>
    /// The most bytes (by the estimate of <see cref="MaxMemoryBytes"/>) each tenant may hold; a tenant at its quota
    /// evicts its own entries, and a value larger than the quota is refused. Null for no per-tenant byte bound;
    /// <see cref="TenantQuotas"/> overrides it per tenant.
    /// </summary>
    /// <value>Default null.</value>
    public long? MaxMemoryBytesPerTenant { get; set; }

    /// <summary>
    /// Per-tenant overrides of <see cref="MaxSizePerTenant"/> and <see cref="MaxMemoryBytesPerTenant"/>, by tenant id
    /// (ordinal). Binds from configuration as <c>Cache:Memory:TenantQuotas:&lt;tenant&gt;:MaxSize</c>.
    /// </summary>
    /// <value>Default empty.</value>
    public IDictionary<string, TenantQuota> TenantQuotas => _tenantQuotas;

    /// <summary>How often expired entries that nobody read are reclaimed; at most one day.</summary>
    /// <value>Default 30 seconds.</value>
    public TimeSpan ExpirationScanInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>True when a per-tenant quota is set (the memory backend's alone).</summary>
    internal bool HasQuotas => MaxSizePerTenant is not null || MaxMemoryBytesPerTenant is not null || _tenantQuotas.Count > 0;

    /// <summary>A copy of these settings.</summary>
    /// <returns>The copy.</returns>
    public MemoryOptions Clone()
    {
        var copy = (MemoryOptions)MemberwiseClone();
        copy._tenantQuotas = new Dictionary<string, TenantQuota>(_tenantQuotas.Count, StringComparer.Ordinal);
        foreach (var (tenantId, quota) in _tenantQuotas)
        {
            copy._tenantQuotas[tenantId] = quota?.Clone()!;
        }

        return copy;
    }
}
