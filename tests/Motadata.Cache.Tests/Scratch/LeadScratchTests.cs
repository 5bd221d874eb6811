using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Scratch;

public sealed class LeadScratchTests
{
    [Fact]
    public async Task ClusterPause()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await using var cache = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = cluster.Url, OperationTimeout = TimeSpan.FromMilliseconds(500) });
        var entries = Enumerable.Range(0, 60).Select(i => KeyValuePair.Create("user_" + i, "v" + i)).ToList();
        Assert.Equal(60, await cache.WarmCacheAsync(entries, tenantId: "acme"));
        cluster.Nodes[1].Pause();
        var log = new System.Text.StringBuilder();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (k, v) in entries)
        {
            var t0 = sw.ElapsedMilliseconds;
            var hit = await cache.GetAsync<string>(k, "acme") == v;
            var t1 = sw.ElapsedMilliseconds;
            if (!hit || t1 - t0 > 50) log.Append(System.Globalization.CultureInfo.InvariantCulture, $"{k}:{(hit ? "H" : "M")}{t1 - t0}ms/{cache.BreakerState} ");
        }
        cluster.Nodes[1].Resume();
        Assert.Fail(log.ToString() + " total=" + sw.ElapsedMilliseconds);
    }
}
