using System.Diagnostics.CodeAnalysis;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache;

/// <summary>
/// A <see cref="CacheMechanism"/> bound to one tenant, from <see cref="CacheMechanism.ForTenant"/>: the whole API
/// without a <c>tenantId</c> argument. The tenant id is checked once, when the view is made, and on the memory backend
/// the view holds the tenant's segment, so a call skips the tenant lookup. Cheap to make; a request handler that
/// serves one tenant can make one per request, or keep one per tenant. Thread-safe, like the cache.
/// </summary>
public sealed class TenantCache
{
    internal TenantCache(CacheMechanism cache, string tenantId, TenantSegment? segment)
    {
        Cache = cache;
        TenantId = tenantId;
        Segment = segment;
    }

    /// <summary>The cache this view reads and writes.</summary>
    public CacheMechanism Cache { get; }

    /// <summary>The tenant every call of this view is for.</summary>
    public string TenantId { get; }

    /// <summary>The tenant's memory segment (memory backend only).</summary>
    internal TenantSegment? Segment { get; }

    /// <summary>The value stored under <paramref name="key"/>, or <paramref name="defaultValue"/> on a miss.</summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="defaultValue">What to return on a miss.</param>
    /// <returns>The cached value, or <paramref name="defaultValue"/>.</returns>
    public T? Get<T>(string key, T? defaultValue = default) =>
        Cache.TryGet(this, key, out T? value) ? value : defaultValue;

    /// <summary>Looks <paramref name="key"/> up; true and the value on a hit.</summary>
    /// <typeparam name="T">The type the value was stored as; a value stored as another type is a miss.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="value">The cached value on a hit.</param>
    /// <returns>True on a hit.</returns>
    public bool TryGet<T>(string key, [MaybeNullWhen(false)] out T value) => Cache.TryGet(this, key, out value);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any value there.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="value">The value; null is cached too.</param>
    /// <param name="ttl">How long it lives: null for <see cref="CacheConfig.Ttl"/>, <see cref="Timeout.InfiniteTimeSpan"/> for ever.</param>
    /// <returns>True when stored; false when the value was refused (too large) or, with recovery on, the server is unreachable.</returns>
    public bool Set<T>(string key, T value, TimeSpan? ttl = null) => Cache.Set(this, key, value, ttl);

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <returns>True when a live entry was removed.</returns>
    public bool Delete(string key) => Cache.Delete(key, TenantId);

    /// <summary>Stores a value and says what became of it (see <see cref="CacheMechanism.SetWithStatus{T}"/>).</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value; null is cached too.</param>
    /// <param name="ttl">How long it lives: null for <see cref="CacheConfig.Ttl"/>.</param>
    /// <returns>What became of the write.</returns>
    public CacheWriteStatus SetWithStatus<T>(string key, T value, TimeSpan? ttl = null) => Cache.SetWithStatus(key, value, ttl, TenantId);

    /// <summary>The asynchronous twin of <see cref="SetWithStatus{T}"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value; null is cached too.</param>
    /// <param name="ttl">How long it lives: null for <see cref="CacheConfig.Ttl"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>What became of the write.</returns>
    public ValueTask<CacheWriteStatus> SetWithStatusAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        Cache.SetWithStatusAsync(key, value, ttl, TenantId, cancellationToken);

    /// <summary>Removes every key of this tenant that matches the Redis glob <paramref name="pattern"/>.</summary>
    /// <param name="pattern">The glob, such as <c>user_*</c>.</param>
    /// <returns>How many entries were removed.</returns>
    public long Invalidate(string pattern) => Cache.Invalidate(pattern, TenantId);

    /// <summary>Removes every entry of this tenant.</summary>
    /// <returns>How many entries were removed.</returns>
    public long Clear() => Cache.Clear(TenantId);

    /// <summary>This tenant's statistics, with its quota: counters only, no server call (see <see cref="CacheMechanism.GetStats"/>).</summary>
    /// <returns>A snapshot.</returns>
    public CacheStats GetStats() => Cache.GetStats(TenantId);

    /// <summary>Stores every pair (in bulk where the backend can batch). Every key is checked before anything is stored.</summary>
    /// <typeparam name="T">The values' type.</typeparam>
    /// <param name="keysAndValues">The pairs to store.</param>
    /// <param name="ttl">How long they live: null for <see cref="CacheConfig.Ttl"/>.</param>
    /// <returns>How many were stored.</returns>
    public long WarmCache<T>(IEnumerable<KeyValuePair<string, T>> keysAndValues, TimeSpan? ttl = null) =>
        Cache.WarmCache(keysAndValues, ttl, TenantId);

    /// <summary>The value stored under <paramref name="key"/>, or <paramref name="defaultValue"/> on a miss.</summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="defaultValue">What to return on a miss.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>The cached value, or <paramref name="defaultValue"/>. Completes synchronously, allocating nothing, on the memory backend.</returns>
    public ValueTask<T?> GetAsync<T>(string key, T? defaultValue = default, CancellationToken cancellationToken = default) =>
        Segment is not null
            ? new ValueTask<T?>(Cache.TryGet(this, key, out T? value) ? value : defaultValue)
            : Cache.GetAsync(key, TenantId, defaultValue, cancellationToken);

    /// <summary>Looks up several keys of this tenant at once (one round trip on Dragonfly).</summary>
    /// <typeparam name="T">The type the values were stored as.</typeparam>
    /// <param name="keys">The keys.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>The hits, by key; a key that missed is absent.</returns>
    public ValueTask<IReadOnlyDictionary<string, T>> GetManyAsync<T>(IEnumerable<string> keys, CancellationToken cancellationToken = default) =>
        Cache.GetManyAsync<T>(keys, TenantId, cancellationToken);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any value there.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="value">The value; null is cached too.</param>
    /// <param name="ttl">How long it lives: null for <see cref="CacheConfig.Ttl"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>True when stored; false when the value was refused or, with recovery on, the server is unreachable.</returns>
    public ValueTask<bool> SetAsync<T>(string key, T value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        Segment is not null
            ? new ValueTask<bool>(Cache.Set(this, key, value, ttl))
            : Cache.SetAsync(key, value, ttl, TenantId, cancellationToken);

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>True when a live entry was removed.</returns>
    public ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        Cache.DeleteAsync(key, TenantId, cancellationToken);

    /// <summary>Removes every key of this tenant that matches the Redis glob <paramref name="pattern"/>.</summary>
    /// <param name="pattern">The glob, such as <c>user_*</c>.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>How many entries were removed.</returns>
    public ValueTask<long> InvalidateAsync(string pattern, CancellationToken cancellationToken = default) =>
        Cache.InvalidateAsync(pattern, TenantId, cancellationToken);

    /// <summary>Removes every entry of this tenant.</summary>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>How many entries were removed.</returns>
    public ValueTask<long> ClearAsync(CancellationToken cancellationToken = default) => Cache.ClearAsync(TenantId, cancellationToken);

    /// <summary>This tenant's statistics with its usage measured (see <see cref="CacheMechanism.GetStatsAsync"/>).</summary>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>A snapshot.</returns>
    public ValueTask<CacheStats> GetStatsAsync(CancellationToken cancellationToken = default) => Cache.GetStatsAsync(TenantId, cancellationToken);

    /// <summary>What this tenant's namespace holds, measured (see <see cref="CacheMechanism.GetUsageAsync"/>: a walk of the server on Dragonfly).</summary>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns>The usage measured.</returns>
    public ValueTask<CacheUsage> GetUsageAsync(CancellationToken cancellationToken = default) => Cache.GetUsageAsync(TenantId, cancellationToken);

    /// <summary>Stores every pair, in pipelined batches on a remote backend. Every key is checked before anything is stored.</summary>
    /// <typeparam name="T">The values' type.</typeparam>
    /// <param name="keysAndValues">The pairs to store.</param>
    /// <param name="ttl">How long they live: null for <see cref="CacheConfig.Ttl"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>How many were stored.</returns>
    public ValueTask<long> WarmCacheAsync<T>(IEnumerable<KeyValuePair<string, T>> keysAndValues, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        Cache.WarmCacheAsync(keysAndValues, ttl, TenantId, cancellationToken);

    /// <summary>
    /// The value under <paramref name="key"/>; on a miss, runs <paramref name="factory"/>, caches what it returns and
    /// returns it, with concurrent callers for the same key sharing one run (see <see cref="CacheMechanism.GetOrSetAsync{T}"/>).
    /// </summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="factory">Makes the value on a miss.</param>
    /// <param name="ttl">How long the value lives: null for <see cref="CacheConfig.Ttl"/>.</param>
    /// <param name="cancellationToken">Ends this caller's wait.</param>
    /// <returns>The cached or newly made value.</returns>
    public ValueTask<T> GetOrSetAsync<T>(string key, Func<CancellationToken, ValueTask<T>> factory, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        Cache.GetOrSetAsync(key, factory, ttl, TenantId, cancellationToken);

    /// <inheritdoc />
    public override string ToString() => $"TenantCache({TenantId})";
}
