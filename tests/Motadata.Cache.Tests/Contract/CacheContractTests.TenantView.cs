namespace Motadata.Cache.Tests.Contract;

public abstract partial class CacheContractTests
{
    [Fact]
    public async Task WhenUsedThroughATenantViewEveryCallReadsAndWritesThatTenantOnly()
    {
        var cache = CreateCache();
        var view = cache.ForTenant("view_t");
        cache.Set("shared", "global");
        cache.Set("shared", "other", tenantId: "view_other");

        Assert.Equal("view_t", view.TenantId);
        Assert.Same(cache, view.Cache);
        Assert.True(view.Set("shared", "mine"));
        Assert.True(await view.SetAsync("async", "a", LongTtl));
        Assert.Equal(2, view.WarmCache(new Dictionary<string, string> { ["w1"] = "1", ["w2"] = "2" }));
        Assert.Equal(1, await view.WarmCacheAsync(new Dictionary<string, string> { ["hot_1"] = "h" }));

        Assert.Equal("mine", view.Get<string>("shared"));
        Assert.Equal("mine", cache.Get<string>("shared", "view_t"));
        Assert.Equal("global", cache.Get<string>("shared"));
        Assert.Equal("other", cache.Get<string>("shared", "view_other"));
        Assert.True(view.TryGet<string>("async", out var viaTryGet) && viaTryGet == "a");
        Assert.Equal("1", await view.GetAsync<string>("w1"));
        Assert.Equal("fallback", await view.GetAsync("missing", "fallback"));
        var many = await view.GetManyAsync<string>(["w1", "w2", "missing"]);
        Assert.Equal(2, many.Count);
        Assert.Equal("made", await view.GetOrSetAsync("made", _ => ValueTask.FromResult("made")));
        Assert.Equal("made", cache.Get<string>("made", "view_t"));

        var stats = view.GetStats();
        Assert.Equal("view_t", stats.TenantId);
        Assert.Equal(6, (await view.GetUsageAsync()).Size);
        Assert.Equal(6, stats.Sets);
        Assert.Equal(7, stats.Hits);
        Assert.Equal(3, stats.Misses);
        Assert.Equal(6, (await view.GetStatsAsync()).Size);

        Assert.Equal(1, view.Invalidate("hot_*"));
        Assert.Equal(1, await view.InvalidateAsync("w[1]"));
        Assert.True(view.Delete("w2"));
        Assert.True(await view.DeleteAsync("async"));
        Assert.Equal(2, view.Clear());
        Assert.Equal(0, await view.ClearAsync());
        Assert.Equal(0, (await view.GetUsageAsync()).Size);
        Assert.Equal("global", cache.Get<string>("shared"));
        Assert.Equal("other", cache.Get<string>("shared", "view_other"));
    }

    [Fact]
    public void WhenATenantViewIsAskedForABadTenantItSaysWhatIsAllowed()
    {
        var cache = CreateCache();

        Assert.Throws<ArgumentNullException>(() => cache.ForTenant(null!));
        Assert.Throws<ArgumentException>(() => cache.ForTenant(""));
        Assert.Throws<ArgumentException>(() => cache.ForTenant(new string('t', CacheConfig.MaxTenantIdLength + 1)));
        Assert.Throws<ArgumentException>(() => cache.ForTenant("bad\ud800"));
        var view = cache.ForTenant("t");
        Assert.Throws<ArgumentException>(() => view.Set("", "v"));
        Assert.Throws<ArgumentNullException>(() => view.Get<string>(null!));
        Assert.Equal(0, cache.GetStats("t").Sets);
    }
}
