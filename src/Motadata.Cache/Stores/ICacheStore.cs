using Motadata.Cache.Keys;

namespace Motadata.Cache.Stores;

/// <summary>
/// What every backend implements, and every tier (recovery, telemetry, routing, the local level) wraps; a tier that
/// changes only some operations derives from <see cref="StoreDecorator"/>. The facade has already checked
/// every argument and resolved the TTL: a <c>ttl</c> here is positive, or <see cref="Timeout.InfiniteTimeSpan"/> for
/// no expiry.
/// </summary>
/// <remarks>
/// Outcomes are values: a backend failure comes back inside the outcome (<c>Failure</c>), never as a thrown
/// <see cref="CacheBackendException"/>, so a decorator looks at it instead of catching, and the facade throws it only
/// when nothing below turned it into a miss. A caller's cancellation is still thrown. Stores never count hits and
/// misses (the facade does, in one place); they count what only they see (evictions, expirations, corrupt payloads,
/// refused values). Data flows one way: nothing here calls back up.
/// </remarks>
internal interface ICacheStore : IDisposable, IAsyncDisposable
{
    /// <summary>A short name for logs and metrics: <c>memory</c>, <c>dragonfly</c>.</summary>
    string Name { get; }

    /// <summary>Looks one key up.</summary>
    ReadOutcome<T> Read<T>(in CacheKey key);

    /// <inheritdoc cref="Read{T}"/>
    ValueTask<ReadOutcome<T>> ReadAsync<T>(CacheKey key, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="ReadAsync{T}(CacheKey, CancellationToken)"/> with <paramref name="projection"/> applied to the outcome
    /// by the store that completes the read: the hot path of <c>GetAsync</c>, one continuation for the whole stack.
    /// </summary>
    ValueTask<TResult> ReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult>;

    /// <summary>
    /// Looks one key up and answers how long the store keeps it too (<see cref="TimedValue{T}.Ttl"/>): what the local
    /// level needs to keep a copy no longer than the server does. One round trip on a remote backend. A store operation
    /// like any other, so recovery and telemetry see it; a store that cannot tell the TTL answers it null.
    /// </summary>
    ReadOutcome<TimedValue<T>> ReadWithTtl<T>(in CacheKey key);

    /// <inheritdoc cref="ReadWithTtl{T}"/>
    ValueTask<ReadOutcome<TimedValue<T>>> ReadWithTtlAsync<T>(CacheKey key, CancellationToken cancellationToken);

    /// <summary>Looks up several keys of one namespace at once (one round trip on a remote backend); one outcome per key, in order.</summary>
    ValueTask<StoreOutcome<ReadOutcome<T>[]>> ReadManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any value there.</summary>
    WriteOutcome Write<T>(in CacheKey key, T value, TimeSpan ttl);

    /// <inheritdoc cref="Write{T}"/>
    ValueTask<WriteOutcome> WriteAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>
    /// Gives the entry under <paramref name="key"/> a new TTL if it still holds <paramref name="expected"/> (a sliding
    /// <c>IDistributedCache</c> entry just read): true when it was extended. A backend that cannot compare stores
    /// <paramref name="expected"/> again.
    /// </summary>
    StoreOutcome<bool> Extend(in CacheKey key, byte[] expected, TimeSpan ttl);

    /// <inheritdoc cref="Extend"/>
    ValueTask<StoreOutcome<bool>> ExtendAsync(CacheKey key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Removes one key; true when a live entry was removed.</summary>
    StoreOutcome<bool> Delete(in CacheKey key);

    /// <inheritdoc cref="Delete"/>
    ValueTask<StoreOutcome<bool>> DeleteAsync(CacheKey key, CancellationToken cancellationToken);

    /// <summary>Removes the keys of one namespace (<paramref name="tenantId"/> null: the global namespace) that match; returns how many.</summary>
    StoreOutcome<long> Invalidate(string? tenantId, GlobPattern pattern);

    /// <inheritdoc cref="Invalidate"/>
    ValueTask<StoreOutcome<long>> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken);

    /// <summary>Removes a tenant's entries; <paramref name="tenantId"/> null removes everything this cache owns. Returns how many.</summary>
    StoreOutcome<long> Clear(string? tenantId);

    /// <inheritdoc cref="Clear"/>
    ValueTask<StoreOutcome<long>> ClearAsync(string? tenantId, CancellationToken cancellationToken);

    /// <summary>Stores every pair in bulk and returns how many were stored (refused values are counted by the store).</summary>
    StoreOutcome<long> WriteMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl);

    /// <inheritdoc cref="WriteMany{T}"/>
    ValueTask<StoreOutcome<long>> WriteManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Entries and bytes held for a tenant; <paramref name="tenantId"/> null for everything this cache owns.</summary>
    StoreOutcome<StoreUsage> GetUsage(string? tenantId);

    /// <inheritdoc cref="GetUsage"/>
    ValueTask<StoreOutcome<StoreUsage>> GetUsageAsync(string? tenantId, CancellationToken cancellationToken);
}

/// <summary>Entries and bytes a store holds.</summary>
internal readonly record struct StoreUsage(long Size, long MemoryBytes, IReadOnlyList<NodeUsage>? Nodes = null);

/// <summary>One server's share of a <see cref="StoreUsage"/>.</summary>
internal readonly record struct NodeUsage(string Endpoint, long Size, long MemoryBytes);
