namespace Motadata.Cache.Server.Endpoints.Contracts;

/// <summary>One tenant's statistics.</summary>
/// <param name="Hits">Lookups that found a value.</param>
/// <param name="Misses">Lookups that found nothing.</param>
/// <param name="Size">Entries held.</param>
/// <param name="MemoryUsage">Bytes held (an estimate on the memory backend).</param>
/// <param name="HitRate">Hits over lookups, 0 to 1.</param>
internal sealed record TenantStatsResponse(long Hits, long Misses, long Size, long MemoryUsage, double HitRate)
{
    /// <summary>The figures of a snapshot.</summary>
    /// <param name="stats">The snapshot.</param>
    /// <returns>The response.</returns>
    public static TenantStatsResponse From(CacheStats stats) =>
        new(stats.Hits, stats.Misses, stats.Size, stats.MemoryUsage, stats.HitRate);
}
