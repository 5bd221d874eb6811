using System.Runtime.CompilerServices;
using Motadata.Cache.Internal;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores;

namespace Motadata.Cache;

public sealed partial class CacheMechanism
{
    /// <summary>The value stored under <paramref name="key"/>, or <paramref name="defaultValue"/> on a miss.</summary>
    /// <typeparam name="T">The type the value was stored as.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <param name="defaultValue">What to return on a miss.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>The cached value, or <paramref name="defaultValue"/>. Completes synchronously, allocating nothing, on the memory backend.</returns>
    public ValueTask<T?> GetAsync<T>(string key, string? tenantId = null, T? defaultValue = default, CancellationToken cancellationToken = default)
    {
        if (_inline is { } inline)
        {
            // TryGet's hit path: an in-process hit answers at once, with no store call and no remote-call telemetry.
            CheckKeyShape(key, tenantId);
            if (TryGetInline(inline, key, tenantId, out T? hit, out var segment))
            {
                return new ValueTask<T?>(hit);
            }

            if (_localLevel is null)
            {
                // The memory backend: the store was asked; a miss.
                return new ValueTask<T?>(TryGetPastInline(key, out T? _, tenantId, segment) ? default : defaultValue);
            }
        }

        CheckKey(key, tenantId);
        // Counted by the projection, in the continuation of the store that completes the read: one for the whole stack.
        return _store.ReadAsync<T, T?, CountingProjection<T>>(new CacheKey(tenantId, key), new(_statistics.ForLookup(tenantId), defaultValue), cancellationToken);
    }

    /// <summary>
    /// Looks up several keys of one namespace at once: one round trip on Dragonfly (<c>MGET</c>). Every key is
    /// checked before anything is looked up; each key counts as one hit or one miss.
    /// </summary>
    /// <typeparam name="T">The type the values were stored as.</typeparam>
    /// <param name="keys">The keys; duplicates are looked up once each time they appear.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>The hits, by key; a key that missed is absent.</returns>
    public async ValueTask<IReadOnlyDictionary<string, T>> GetManyAsync<T>(IEnumerable<string> keys, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        if (keys is null)
        {
            Throw.ArgumentNull(nameof(keys));
        }

        var list = keys as IReadOnlyList<string> ?? [.. keys];
        for (var i = 0; i < list.Count; i++)
        {
            CheckKeyOfMany(list[i], i, nameof(keys));
        }

        CheckTenant(tenantId);
        var hits = new Dictionary<string, T>(StringComparer.Ordinal);
        if (list.Count == 0)
        {
            return hits;
        }

        var results = ResultOrThrow(await _store.ReadManyAsync<T>(tenantId, list, cancellationToken).ConfigureAwait(false));
        var counters = _statistics.ForLookup(tenantId);
        for (var i = 0; i < results.Length; i++)
        {
            if (Count(counters, results[i], out var value))
            {
                hits[list[i]] = value;
            }
        }

        return hits;
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any value there.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="value">The value; null is cached too.</param>
    /// <param name="ttl">How long it lives: null for <see cref="CacheConfig.Ttl"/>, <see cref="Timeout.InfiniteTimeSpan"/> for ever.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>True when stored; false when the value was refused or, with recovery on, the server is unreachable.</returns>
    public ValueTask<bool> SetAsync<T>(string key, T value, TimeSpan? ttl = null, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        // Not through SetWithStatusAsync: that would put a second async layer between the store's continuation and
        // the caller of a remote write.
        CheckKey(key, tenantId);
        var effectiveTtl = ResolveTtl(ttl);
        var counters = _statistics.For(tenantId);
        var pending = _store.WriteAsync(new CacheKey(tenantId, key), value, effectiveTtl, cancellationToken);
        return pending.IsCompletedSuccessfully
            ? new ValueTask<bool>(CountWrite(counters, pending.Result) == CacheWriteStatus.Stored)
            : CountStoredAsync(pending, counters);

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        static async ValueTask<bool> CountStoredAsync(ValueTask<WriteOutcome> pending, TenantCounters counters) =>
            CountWrite(counters, await pending.ConfigureAwait(false)) == CacheWriteStatus.Stored;
    }

    /// <summary>The asynchronous twin of <see cref="SetWithStatus{T}"/>: stores the value and says what became of it.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="value">The value; null is cached too.</param>
    /// <param name="ttl">How long it lives: null for <see cref="CacheConfig.Ttl"/>, <see cref="Timeout.InfiniteTimeSpan"/> for ever.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>What became of the write.</returns>
    public ValueTask<CacheWriteStatus> SetWithStatusAsync<T>(string key, T value, TimeSpan? ttl = null, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        CheckKey(key, tenantId);
        var effectiveTtl = ResolveTtl(ttl);
        var counters = _statistics.For(tenantId);
        var pending = _store.WriteAsync(new CacheKey(tenantId, key), value, effectiveTtl, cancellationToken);
        return pending.IsCompletedSuccessfully
            ? new ValueTask<CacheWriteStatus>(CountWrite(counters, pending.Result))
            : CountWriteAsync(pending, counters);
    }

    /// <summary>Removes <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>True when a live entry was removed.</returns>
    public ValueTask<bool> DeleteAsync(string key, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        CheckKey(key, tenantId);
        var cacheKey = new CacheKey(tenantId, key);
        DetachFlights(cacheKey);
        var pending = _store.DeleteAsync(cacheKey, cancellationToken);
        return pending.IsCompletedSuccessfully ? new ValueTask<bool>(ResultOrThrow(pending.Result)) : ResultOrThrowAsync(pending);
    }

    /// <summary>Removes every key of one namespace that matches the Redis glob <paramref name="pattern"/>.</summary>
    /// <param name="pattern">The glob, such as <c>user_*</c>.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace only.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>How many entries were removed.</returns>
    public ValueTask<long> InvalidateAsync(string pattern, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        var glob = CheckPattern(pattern, tenantId);
        DetachFlights(tenantId, glob);
        return ResultOrThrowAsync(_store.InvalidateAsync(tenantId, glob, cancellationToken));
    }

    /// <summary>Removes a tenant's entries, or with no tenant everything this cache owns.</summary>
    /// <param name="tenantId">The tenant, or null for every namespace.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>How many entries were removed.</returns>
    public ValueTask<long> ClearAsync(string? tenantId = null, CancellationToken cancellationToken = default)
    {
        CheckTenant(tenantId);
        DetachFlights(tenantId);
        return ResultOrThrowAsync(_store.ClearAsync(tenantId, cancellationToken));
    }

    /// <summary>
    /// <see cref="GetStats"/> with the backend's usage measured (<see cref="GetUsageAsync"/>): on Dragonfly a walk of
    /// the server, whose cost grows with the keys held. For counters alone, <see cref="GetStats"/>.
    /// </summary>
    /// <param name="tenantId">The tenant, or null for the whole cache.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>A snapshot.</returns>
    public async ValueTask<CacheStats> GetStatsAsync(string? tenantId = null, CancellationToken cancellationToken = default)
    {
        var usage = await GetUsageAsync(tenantId, cancellationToken).ConfigureAwait(false);
        return BuildStats(tenantId).WithUsage(usage);
    }

    /// <summary>
    /// What one tenant's namespace, or with no tenant the whole cache, holds: entries and bytes, and on Dragonfly server
    /// by server. On Dragonfly this walks the server (<c>SCAN</c> of the scope's keys and <c>MEMORY USAGE</c> of each),
    /// so its cost grows with the keys held; on the memory backend it reads the in-process figures.
    /// </summary>
    /// <param name="tenantId">The tenant, or null for the whole cache.</param>
    /// <param name="cancellationToken">Cancels the walk.</param>
    /// <returns>The usage measured.</returns>
    public async ValueTask<CacheUsage> GetUsageAsync(string? tenantId = null, CancellationToken cancellationToken = default)
    {
        CheckTenant(tenantId);
        var usage = ResultOrThrow(await _store.GetUsageAsync(tenantId, cancellationToken).ConfigureAwait(false));
        return ToUsage(tenantId, usage);
    }

    /// <summary>Stores every pair, in pipelined batches on a remote backend. Every key is checked before anything is stored.</summary>
    /// <typeparam name="T">The values' type.</typeparam>
    /// <param name="keysAndValues">The pairs to store.</param>
    /// <param name="ttl">How long they live: null for <see cref="CacheConfig.Ttl"/>.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>How many were stored.</returns>
    public async ValueTask<long> WarmCacheAsync<T>(IEnumerable<KeyValuePair<string, T>> keysAndValues, TimeSpan? ttl = null, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        var entries = CheckWarmEntries(keysAndValues, tenantId, nameof(keysAndValues));
        var effectiveTtl = ResolveTtl(ttl);
        var stored = entries.Count == 0
            ? 0
            : ResultOrThrow(await _store.WriteManyAsync(tenantId, entries, effectiveTtl, cancellationToken).ConfigureAwait(false));
        CountSets(_statistics.For(tenantId), stored);
        return stored;
    }

    /// <summary>Checks one key of a batch, naming the batch parameter and the key's position in it.</summary>
    private void CheckKeyOfMany(string key, int index, string paramName)
    {
        if (DescribeBadKey(key) is { } problem)
        {
            throw new ArgumentException($"Key {index} of {paramName} is {problem}; {KeyRule}. Nothing was looked up.", paramName);
        }
    }
}
