namespace Motadata.Cache.Tests.Contract;

/// <summary>
/// Calls a cache through its synchronous methods or through their async twins, so one test body checks that both
/// behave alike. Synchronous exceptions surface as faulted tasks, which <c>Assert.ThrowsAsync</c> reads the same.
/// </summary>
internal sealed class CacheCalls(CacheMechanism cache, CallStyle style)
{
    private bool IsAsync => style == CallStyle.Async;

    public async Task<T?> GetAsync<T>(string key, string? tenantId = null, T? defaultValue = default) =>
        IsAsync ? await cache.GetAsync(key, tenantId, defaultValue) : cache.Get(key, tenantId, defaultValue);

    public async Task<bool> SetAsync<T>(string key, T value, TimeSpan? ttl = null, string? tenantId = null) =>
        IsAsync ? await cache.SetAsync(key, value, ttl, tenantId) : cache.Set(key, value, ttl, tenantId);

    public async Task<bool> DeleteAsync(string key, string? tenantId = null) =>
        IsAsync ? await cache.DeleteAsync(key, tenantId) : cache.Delete(key, tenantId);

    public async Task<long> InvalidateAsync(string pattern, string? tenantId = null) =>
        IsAsync ? await cache.InvalidateAsync(pattern, tenantId) : cache.Invalidate(pattern, tenantId);

    public async Task<long> ClearAsync(string? tenantId = null) =>
        IsAsync ? await cache.ClearAsync(tenantId) : cache.Clear(tenantId);

    // The synchronous style reads the counters with GetStats (never a server call) and the size and bytes with
    // GetUsageAsync, which is what GetStatsAsync does in one call.
    public async Task<CacheStats> GetStatsAsync(string? tenantId = null) =>
        IsAsync ? await cache.GetStatsAsync(tenantId) : cache.GetStats(tenantId).WithUsage(await cache.GetUsageAsync(tenantId));

    public async Task<long> WarmCacheAsync<T>(IEnumerable<KeyValuePair<string, T>> keysAndValues, string? tenantId = null, TimeSpan? ttl = null) =>
        IsAsync ? await cache.WarmCacheAsync(keysAndValues, ttl, tenantId) : cache.WarmCache(keysAndValues, ttl, tenantId);
}
