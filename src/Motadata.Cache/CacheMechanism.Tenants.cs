using System.Diagnostics.CodeAnalysis;
using Motadata.Cache.Internal;

namespace Motadata.Cache;

public sealed partial class CacheMechanism
{
    /// <summary>
    /// A view of this cache bound to <paramref name="tenantId"/>: the whole API without a tenant argument, checked once
    /// here, and on the memory backend without a tenant lookup per call.
    /// </summary>
    /// <param name="tenantId">The tenant: 1 to <see cref="CacheConfig.MaxTenantIdLength"/> whole Unicode characters.</param>
    /// <returns>The view; it lives as long as the cache and needs no disposal.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tenantId"/> is null (use the cache itself for the global namespace).</exception>
    /// <exception cref="ArgumentException"><paramref name="tenantId"/> is empty, too long or not well-formed.</exception>
    public TenantCache ForTenant(string tenantId)
    {
        if (tenantId is null)
        {
            Throw.ArgumentNull(nameof(tenantId));
        }

        CheckTenant(tenantId);
        return new TenantCache(this, tenantId, _memoryStore?.Segment(tenantId));
    }

    /// <summary><see cref="TryGet{T}(string, out T, string)"/> for a view: on the memory backend, straight into the tenant's segment.</summary>
    internal bool TryGet<T>(TenantCache view, string key, [MaybeNullWhen(false)] out T value)
    {
        if (view.Segment is { } segment)
        {
            CheckKeyShape(key, null);
            return TryGetInSegment(_memoryStore!, segment, key, out value) || TryGetPastInline(key, out value, view.TenantId, segment);
        }

        return TryGet(key, out value, view.TenantId);
    }

    /// <summary><see cref="Set{T}(string, T, TimeSpan?, string)"/> for a view.</summary>
    internal bool Set<T>(TenantCache view, string key, T value, TimeSpan? ttl)
    {
        if (view.Segment is { } segment)
        {
            CheckKey(key, null);
            if (!_memoryStore!.Set(segment, key, value, ResolveTtl(ttl)))
            {
                return false;
            }

            CountSets(segment.Counters, 1);
            return true;
        }

        return Set(key, value, ttl, view.TenantId);
    }
}
