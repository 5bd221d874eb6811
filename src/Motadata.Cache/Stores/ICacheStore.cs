using System.Diagnostics.CodeAnalysis;
using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores;

/// <summary>
/// What every backend implements. The facade has already checked every argument and resolved the TTL: a
/// <c>ttl</c> here is positive, or <see cref="Timeout.InfiniteTimeSpan"/> for no expiry. Stores do not count hits
/// and misses (the facade does); they count what only they see (evictions, expirations, corrupt payloads).
/// </summary>
internal interface ICacheStore : IDisposable, IAsyncDisposable
{
    /// <summary>A short name for logs and metrics: <c>memory</c>, <c>dragonfly</c>.</summary>
    string Name { get; }

    bool TryGet<T>(in CacheKey key, [MaybeNullWhen(false)] out T value);

    ValueTask<CacheLookup<T>> TryGetAsync<T>(CacheKey key, CancellationToken cancellationToken);

    /// <summary>Looks up several keys of one namespace at once (one round trip on a remote backend); one result per key, in order.</summary>
    ValueTask<CacheLookup<T>[]> TryGetManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken);

    bool Set<T>(in CacheKey key, T value, TimeSpan ttl);

    ValueTask<bool> SetAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken);

    bool Delete(in CacheKey key);

    ValueTask<bool> DeleteAsync(CacheKey key, CancellationToken cancellationToken);

    /// <summary>Removes the keys of one namespace (<paramref name="tenantId"/> null: the global namespace) that match.</summary>
    long Invalidate(string? tenantId, GlobPattern pattern);

    ValueTask<long> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken);

    /// <summary>Removes a tenant's entries; <paramref name="tenantId"/> null removes everything this cache owns.</summary>
    long Clear(string? tenantId);

    ValueTask<long> ClearAsync(string? tenantId, CancellationToken cancellationToken);

    /// <summary>Stores every pair in bulk and returns how many were stored.</summary>
    long SetMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl);

    ValueTask<long> SetManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Entries and bytes held for a tenant; <paramref name="tenantId"/> null for everything this cache owns.</summary>
    StoreUsage GetUsage(string? tenantId);

    ValueTask<StoreUsage> GetUsageAsync(string? tenantId, CancellationToken cancellationToken);
}

/// <summary>The result of an asynchronous lookup: a struct, so a completed lookup allocates nothing.</summary>
internal readonly record struct CacheLookup<T>(bool Found, T? Value)
{
    public static CacheLookup<T> Miss => default;
}

/// <summary>Entries and bytes a store holds.</summary>
internal readonly record struct StoreUsage(long Size, long MemoryBytes);
