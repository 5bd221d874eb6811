namespace Motadata.Cache.Stats;

/// <summary>The one hit-rate rule, for <see cref="CacheStats"/> and the AI caching clients' statistics.</summary>
internal static class HitRatio
{
    /// <summary><paramref name="hits"/> over all lookups, from 0 to 1; 0 when nothing was looked up.</summary>
    public static double Of(long hits, long misses) => hits + misses == 0 ? 0d : (double)hits / (hits + misses);
}
