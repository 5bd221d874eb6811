using Microsoft.Extensions.Caching.Distributed;
using Motadata.Cache.Distributed;
using Motadata.Cache.Internal;

namespace Motadata.Cache;

/// <summary>Views a <see cref="CacheMechanism"/> as an ASP.NET Core <see cref="IDistributedCache"/>.</summary>
public static class DistributedCacheExtensions
{
    /// <summary>
    /// An <see cref="IDistributedCache"/> over <paramref name="cache"/>, bound to one tenant's namespace, that also
    /// implements <see cref="IBufferDistributedCache"/> so HybridCache reads and writes without extra copies. Session
    /// state, HybridCache and <c>DistributedCachingChatClient</c> use it unchanged.
    /// </summary>
    /// <remarks>
    /// Absolute and sliding expiration work as ASP.NET Core defines them, on every backend: each successful read of
    /// a sliding entry (and <see cref="IDistributedCache.Refresh"/>) extends its life, never past its absolute
    /// expiration. An entry set with no expiration at all lives for the cache's <see cref="CacheConfig.Ttl"/>. Keys
    /// share the tenant's namespace with the cache's other values, so give them a prefix of their own if the tenant
    /// also holds other data. Each entry carries a 17-byte header.
    /// </remarks>
    /// <param name="cache">The cache to store into; it stays owned by the caller.</param>
    /// <param name="tenantId">The tenant whose namespace holds the entries; null for the global namespace.</param>
    /// <returns>The distributed-cache view.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cache"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="tenantId"/> is empty or longer than <see cref="CacheConfig.MaxTenantIdLength"/>.</exception>
    public static IBufferDistributedCache AsDistributedCache(this CacheMechanism cache, string? tenantId = null)
    {
        if (cache is null)
        {
            Throw.ArgumentNull(nameof(cache));
        }

        if (tenantId is { Length: 0 })
        {
            Throw.TenantEmpty(nameof(tenantId));
        }

        if (tenantId is { Length: > CacheConfig.MaxTenantIdLength })
        {
            Throw.TenantTooLong(nameof(tenantId), tenantId.Length, CacheConfig.MaxTenantIdLength);
        }

        return new MotadataDistributedCache(cache, tenantId);
    }
}
