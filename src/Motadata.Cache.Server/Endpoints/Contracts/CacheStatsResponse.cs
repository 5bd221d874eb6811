namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>The whole cache's statistics (admin only).</summary>
/// <param name="Backend">The backend, <c>Memory</c> or <c>Dragonfly</c>.</param>
/// <param name="Hits">Lookups that found a value.</param>
/// <param name="Misses">Lookups that found nothing.</param>
/// <param name="Size">Entries held.</param>
/// <param name="MemoryUsage">Bytes held.</param>
/// <param name="HitRate">Hits over lookups, 0 to 1.</param>
/// <param name="Sets">Values stored.</param>
/// <param name="Evictions">Entries removed to make room.</param>
/// <param name="Expirations">Entries removed because their TTL ran out.</param>
/// <param name="RejectedValues">Values refused as too large.</param>
/// <param name="CorruptPayloads">Values read back that failed validation.</param>
/// <param name="BackendFailures">Calls to the server that failed.</param>
/// <param name="BreakerOpenings">Times the circuit breaker opened.</param>
/// <param name="ReplayedOperations">Invalidations replayed after an outage.</param>
/// <param name="Nodes">Size and bytes server by server on Dragonfly (one per cluster primary or shard); empty on memory.</param>
internal sealed record CacheStatsResponse(
    string Backend,
    long Hits,
    long Misses,
    long Size,
    long MemoryUsage,
    double HitRate,
    long Sets,
    long Evictions,
    long Expirations,
    long RejectedValues,
    long CorruptPayloads,
    long BackendFailures,
    long BreakerOpenings,
    long ReplayedOperations,
    IReadOnlyList<NodeStatsResponse> Nodes)
{
    /// <summary>The figures of a snapshot.</summary>
    /// <param name="backend">The backend.</param>
    /// <param name="stats">The snapshot.</param>
    /// <returns>The response.</returns>
    public static CacheStatsResponse From(CacheBackend backend, CacheStats stats) =>
        new(backend.ToString(), stats.Hits, stats.Misses, stats.Size, stats.MemoryUsage, stats.HitRate, stats.Sets, stats.Evictions,
            stats.Expirations, stats.RejectedValues, stats.CorruptPayloads,
            stats.Dragonfly?.BackendFailures ?? 0, stats.Recovery?.BreakerOpenings ?? 0, stats.Recovery?.ReplayedOperations ?? 0,
            [.. stats.Nodes.Select(static node => new NodeStatsResponse(node.Endpoint, node.Size, node.MemoryUsage))]);
}
