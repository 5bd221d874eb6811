using System.Runtime.CompilerServices;

namespace Motadata.Cache.Keys;

/// <summary>
/// A caller's key inside one tenant namespace. A struct of two references: building one allocates nothing, and
/// equality compares the tenant and the key separately, so no two (tenant, key) pairs can collide whatever
/// characters they hold.
/// </summary>
internal readonly struct CacheKey : IEquatable<CacheKey>
{
    public CacheKey(string? tenantId, string key)
    {
        TenantId = tenantId;
        Key = key;
    }

    /// <summary>The tenant, or null for the global namespace.</summary>
    public string? TenantId { get; }

    /// <summary>The caller's key, verbatim.</summary>
    public string Key { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(CacheKey other) =>
        string.Equals(Key, other.Key, StringComparison.Ordinal)
        && string.Equals(TenantId, other.TenantId, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is CacheKey other && Equals(other);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public override int GetHashCode()
    {
        // Randomized string hashing (Marvin) keeps the dictionary safe from keys chosen to collide.
        var keyHash = Key.GetHashCode();
        return TenantId is null ? keyHash : HashCode.Combine(TenantId.GetHashCode(), keyHash);
    }

    public override string ToString() => TenantId is null ? Key : $"{TenantId}/{Key}";

    public static bool operator ==(CacheKey left, CacheKey right) => left.Equals(right);

    public static bool operator !=(CacheKey left, CacheKey right) => !left.Equals(right);
}
