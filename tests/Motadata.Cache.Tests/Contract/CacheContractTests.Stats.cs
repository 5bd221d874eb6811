namespace Motadata.Cache.Tests.Contract;

public abstract partial class CacheContractTests
{
    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenNothingWasLookedUpHitRateIsZero(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);

        var empty = await calls.GetStatsAsync();
        Assert.Equal(0, empty.Hits);
        Assert.Equal(0, empty.Misses);
        Assert.Equal(0, empty.Size);
        Assert.Equal(0d, empty.HitRate);
        Assert.Equal(0d, (await calls.GetStatsAsync("never-used")).HitRate);

        await calls.SetAsync("key", "value", tenantId: "t");

        var afterSet = await calls.GetStatsAsync("t");
        Assert.Equal(0d, afterSet.HitRate);
        Assert.Equal(1, (await cache.GetUsageAsync("t")).Size);
        Assert.Equal(1, afterSet.Sets);
        Assert.Equal("t", afterSet.TenantId);
        Assert.Equal(0d, (await calls.GetStatsAsync()).HitRate);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenLookupsHitAndMissStatsCountThemPerTenantAndOverall(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);
        await calls.SetAsync("k1", "v", tenantId: "t1");
        await calls.SetAsync("k2", "v", tenantId: "t1");
        await calls.SetAsync("k1", "v", tenantId: "t2");
        await calls.SetAsync("g", "v");

        await calls.GetAsync<string>("k1", "t1");
        await calls.GetAsync<string>("k2", "t1");
        await calls.GetAsync<string>("k1", "t1");
        await calls.GetAsync<string>("missing", "t1");
        await calls.GetAsync<string>("missing", "t2");
        await calls.GetAsync("k2", "t2", "default");
        await calls.GetAsync<string>("g");
        cache.TryGet<string>("k1", out _, "t2");
        cache.TryGet<string>("nope", out _, "t3");

        var t1 = await calls.GetStatsAsync("t1");
        Assert.Equal((3L, 1L, 2L, 2L), (t1.Hits, t1.Misses, (await cache.GetUsageAsync("t1")).Size, t1.Sets));
        Assert.Equal(0.75, t1.HitRate, 12);
        var t2 = await calls.GetStatsAsync("t2");
        Assert.Equal((1L, 2L, 1L, 1L), (t2.Hits, t2.Misses, (await cache.GetUsageAsync("t2")).Size, t2.Sets));
        Assert.Equal(1d / 3d, t2.HitRate, 12);
        var t3 = await calls.GetStatsAsync("t3");
        Assert.Equal((0L, 1L, 0L), (t3.Hits, t3.Misses, (await cache.GetUsageAsync("t3")).Size));
        Assert.Equal(0d, t3.HitRate);
        var all = await calls.GetStatsAsync();
        Assert.Null(all.TenantId);
        Assert.Equal((5L, 4L, 4L, 4L), (all.Hits, all.Misses, (await cache.GetUsageAsync()).Size, all.Sets));
        Assert.Equal(5d / 9d, all.HitRate, 12);
    }

    [Fact]
    public async Task WhenEntriesComeAndGoGetUsageAsyncFollowsSizeAndMemoryUsage()
    {
        var cache = CreateCache();

        for (var i = 0; i < 10; i++)
        {
            cache.Set($"k{i}", new string('x', 100), tenantId: "a");
        }

        cache.Set("k0", "x", tenantId: "b");
        var a = await cache.GetUsageAsync("a");
        Assert.Equal(("a", 10L), (a.TenantId, a.Size));
        Assert.True(a.MemoryUsage > 0, $"MemoryUsage was {a.MemoryUsage}.");
        Assert.True((await cache.GetUsageAsync("b")).MemoryUsage > 0);
        var all = await cache.GetUsageAsync();
        Assert.Equal(11, all.Size);
        Assert.True(all.MemoryUsage >= a.MemoryUsage, $"overall {all.MemoryUsage} < tenant {a.MemoryUsage}");

        // GetStatsAsync is GetStats with the same measurement.
        var measured = await cache.GetStatsAsync("a");
        Assert.Equal((10L, 10L), (measured.Size, measured.Sets));

        cache.Set("k0", "replaced", tenantId: "a");
        Assert.Equal(10, (await cache.GetUsageAsync("a")).Size);
        cache.Delete("k1", "a");
        Assert.Equal(9, (await cache.GetUsageAsync("a")).Size);
        cache.Invalidate("k[2-4]", "a");
        Assert.Equal(6, (await cache.GetUsageAsync("a")).Size);
        cache.Clear("a");
        Assert.Equal(0, (await cache.GetUsageAsync("a")).Size);
        Assert.Equal(1, (await cache.GetUsageAsync()).Size);
    }

    [Fact]
    public void GetStatsReportsTheInProcessSizeOnTheMemoryBackendAndLeavesTheServersToGetUsageAsync()
    {
        var cache = CreateCache();
        cache.Set("k", "v", tenantId: "t");
        cache.Set("k2", "v", tenantId: "t");

        var stats = cache.GetStats("t");
        var expected = cache.Backend == CacheBackend.Memory ? 2L : 0L;
        Assert.Equal((expected, 2L), (stats.Size, stats.Sets));
        Assert.Empty(stats.Nodes);
    }

    [Fact]
    public void WhenDeletingInvalidatingOrClearingNoLookupIsCounted()
    {
        var cache = CreateCache();
        cache.Set("k", 1, tenantId: "t");

        cache.Delete("k", "t");
        cache.Delete("k", "t");
        cache.Invalidate("*", "t");
        cache.Clear("t");
        cache.Clear();

        var stats = cache.GetStats("t");
        Assert.Equal(0, stats.Hits);
        Assert.Equal(0, stats.Misses);
        Assert.Equal(1, stats.Sets);
    }

    [Fact]
    public async Task WhenValuesAreStoredEveryWayTheyCountAsSets()
    {
        var cache = CreateCache();

        cache.Set("a", 1, tenantId: "t");
        await cache.SetAsync("b", 2, tenantId: "t");
        cache.WarmCache(new Dictionary<string, int> { ["c"] = 3, ["d"] = 4 }, tenantId: "t");
        await cache.WarmCacheAsync(new Dictionary<string, int> { ["e"] = 5 }, tenantId: "t");
        await cache.GetOrSetAsync("f", _ => ValueTask.FromResult(6), tenantId: "t");
        await cache.GetOrSetAsync("f", _ => ValueTask.FromResult(7), tenantId: "t");

        var stats = cache.GetStats("t");
        Assert.Equal(6, stats.Sets);
        Assert.Equal(6, (await cache.GetUsageAsync("t")).Size);
        Assert.Equal(1, stats.Hits);
        Assert.Equal(1, stats.Misses);
    }
}
