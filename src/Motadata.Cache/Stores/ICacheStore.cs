using System.Diagnostics.CodeAnalysis;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;

namespace Motadata.Cache.Stores;

/// <summary>
/// What every backend implements. The facade has already checked every argument and resolved the TTL: a
/// <c>ttl</c> here is positive, or <see cref="Timeout.InfiniteTimeSpan"/> for no expiry. Stores do not count hits
/// and misses (the facade does, or hands its counters to <see cref="GetAsync"/>); they count what only they see
/// (evictions, expirations, corrupt payloads).
/// </summary>
internal interface ICacheStore : IDisposable, IAsyncDisposable
{
    /// <summary>A short name for logs and metrics: <c>memory</c>, <c>dragonfly</c>.</summary>
    string Name { get; }

    bool TryGet<T>(in CacheKey key, [MaybeNullWhen(false)] out T value);

    ValueTask<CacheLookup<T>> TryGetAsync<T>(CacheKey key, CancellationToken cancellationToken);

    /// <summary>
    /// The facade's <c>GetAsync</c> in one step: looks <paramref name="key"/> up, counts the hit or miss on
    /// <paramref name="counters"/>, and returns the value or <paramref name="defaultValue"/>. A remote store does it
    /// all in the one continuation that waits for the server, instead of one continuation per layer. A backend
    /// failure (<see cref="CacheBackendException"/>) is thrown before anything is counted, so a decorator that turns it
    /// into a miss counts that itself; except that a store given <paramref name="onFailure"/> hands every failure it
    /// meets while waiting to it instead, and counts and returns its answer (it may still throw one raised before it
    /// waits).
    /// </summary>
    ValueTask<T?> GetAsync<T>(CacheKey key, T? defaultValue, TenantCounters counters, IGetFailureHandler? onFailure, CancellationToken cancellationToken);

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

    /// <summary>Counts this lookup as a hit or a miss on <paramref name="counters"/>; the value, or <paramref name="defaultValue"/> on a miss.</summary>
    public T? Count(TenantCounters counters, T? defaultValue) => counters.RecordLookup(Found) ? Value : defaultValue;

    /// <summary>
    /// <see cref="Count(TenantCounters, T)"/> once <paramref name="pending"/> completes: at once when it already
    /// has, otherwise in a pooled state machine (no allocation per call).
    /// </summary>
    public static ValueTask<T?> CountAsync(ValueTask<CacheLookup<T>> pending, TenantCounters counters, T? defaultValue)
    {
        return pending.IsCompletedSuccessfully ? new ValueTask<T?>(pending.Result.Count(counters, defaultValue)) : Await(pending, counters, defaultValue);

        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
        static async ValueTask<T?> Await(ValueTask<CacheLookup<T>> pending, TenantCounters counters, T? defaultValue) =>
            (await pending.ConfigureAwait(false)).Count(counters, defaultValue);
    }
}

/// <summary>Entries and bytes a store holds.</summary>
internal readonly record struct StoreUsage(long Size, long MemoryBytes);
