namespace Motadata.Cache;

/// <summary>
/// One tenant's own bounds on the memory backend, overriding <see cref="MemoryOptions.MaxSizePerTenant"/> and
/// <see cref="MemoryOptions.MaxMemoryBytesPerTenant"/> for that tenant (see <see cref="MemoryOptions.TenantQuotas"/>).
/// A tenant over its quota evicts its own entries, never another tenant's.
/// </summary>
public sealed class TenantQuota
{
    /// <summary>The most entries the tenant holds; null takes <see cref="MemoryOptions.MaxSizePerTenant"/>.</summary>
    /// <value>Default null.</value>
    public int? MaxSize { get; set; }

    /// <summary>The most bytes (by the memory backend's estimate) the tenant holds; null takes <see cref="MemoryOptions.MaxMemoryBytesPerTenant"/>.</summary>
    /// <value>Default null.</value>
    public long? MaxMemoryBytes { get; set; }

    /// <summary>A copy of this quota.</summary>
    /// <returns>The copy.</returns>
    public TenantQuota Clone() => new() { MaxSize = MaxSize, MaxMemoryBytes = MaxMemoryBytes };

    /// <inheritdoc />
    public override string ToString() => $"MaxSize={MaxSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"}, MaxMemoryBytes={MaxMemoryBytes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"}";
}
