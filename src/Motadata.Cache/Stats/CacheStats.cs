namespace Motadata.Cache;

/// <summary>
/// A snapshot of a cache's statistics, for one tenant or for the whole cache. Counts are exact: each one is the
/// sum of every operation recorded before the snapshot was taken.
/// </summary>
public sealed class CacheStats
{
    /// <summary>The tenant these figures are for; null for the whole cache.</summary>
    public string? TenantId { get; init; }

    /// <summary>Lookups that found a value.</summary>
    public long Hits { get; init; }

    /// <summary>Lookups that found nothing (including expired, corrupt and unreadable values, and lookups during an outage).</summary>
    public long Misses { get; init; }

    /// <summary>Entries currently held. On the memory backend, expired entries not yet reclaimed count until the background scan removes them.</summary>
    public long Size { get; init; }

    /// <summary>
    /// Bytes held: an estimate on the memory backend (see <see cref="CacheConfig.MaxMemoryBytes"/>), the server's own
    /// <c>MEMORY USAGE</c> figures on Dragonfly.
    /// </summary>
    public long MemoryUsage { get; init; }

    /// <summary>
    /// <see cref="Size"/> and <see cref="MemoryUsage"/> server by server on the Dragonfly backend: one entry per node
    /// (a single server, every primary of a Redis Cluster, or every shard with <see cref="CacheConfig.EnableSharding"/>);
    /// empty on the memory backend.
    /// </summary>
    /// <value>Default empty.</value>
    public IReadOnlyList<CacheNodeStats> Nodes { get; init; } = [];

    /// <summary><see cref="Hits"/> over all lookups, from 0 to 1; 0 when nothing was looked up.</summary>
    public double HitRate => Hits + Misses == 0 ? 0d : (double)Hits / (Hits + Misses);

    /// <summary>Values stored (by <c>Set</c>, <c>WarmCache</c> and <c>GetOrSetAsync</c>).</summary>
    public long Sets { get; init; }

    /// <summary>Entries removed to make room (memory backend): for the cache's entry or byte bound, or a tenant's quota.</summary>
    public long Evictions { get; init; }

    /// <summary>Of <see cref="Evictions"/>, entries a tenant evicted because it was at its own quota (memory backend).</summary>
    public long QuotaEvictions { get; init; }

    /// <summary>
    /// The most entries this scope may hold on the memory backend: <see cref="CacheConfig.MaxSize"/> for the whole
    /// cache, the tenant's quota for a tenant (null when it has none, and on Dragonfly).
    /// </summary>
    public long? MaxSize { get; init; }

    /// <summary>
    /// The most bytes this scope may hold on the memory backend: <see cref="CacheConfig.MaxMemoryBytes"/> for the whole
    /// cache, the tenant's byte quota for a tenant (null when there is none, and on Dragonfly).
    /// </summary>
    public long? MaxMemoryBytes { get; init; }

    /// <summary>Entries removed because their TTL ran out (memory backend).</summary>
    public long Expirations { get; init; }

    /// <summary>Values refused because they were larger than the configured limit.</summary>
    public long RejectedValues { get; init; }

    /// <summary>Values read back that failed validation or could not be deserialized, and were removed.</summary>
    public long CorruptPayloads { get; init; }

    /// <summary>Calls to the server that failed or timed out (whole cache only).</summary>
    public long BackendFailures { get; init; }

    /// <summary>Times the circuit breaker opened (whole cache only).</summary>
    public long BreakerOpenings { get; init; }

    /// <summary>Invalidations kept during an outage and applied to the server once it was back (whole cache only).</summary>
    public long ReplayedOperations { get; init; }

    /// <summary>
    /// Times the journal of removals kept during an outage overflowed, so that the removals it held were widened to
    /// clears of their whole namespaces (whole cache only; see <see cref="CacheConfig.RecoveryJournalCapacity"/>).
    /// </summary>
    public long JournalOverflows { get; init; }

    /// <summary>
    /// Journaled removals that recovery gave up on after the server failed them
    /// <see cref="CacheConfig.RecoveryMaxReplayAttempts"/> times, even once widened to a clear of their namespace (whole cache only).
    /// </summary>
    public long AbandonedRemovals { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"Hits={Hits}, Misses={Misses}, HitRate={HitRate:P1}, Size={Size}, MemoryUsage={MemoryUsage}, Sets={Sets}, Evictions={Evictions}, Expirations={Expirations}";
}
