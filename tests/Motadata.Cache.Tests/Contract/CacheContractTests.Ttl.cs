namespace Motadata.Cache.Tests.Contract;

public abstract partial class CacheContractTests
{
    [Fact]
    public async Task WhenTtlRunsOutTheEntryIsNeverReturned()
    {
        var cache = CreateCache();
        cache.Set("short", "value", ShortTtl, "t");
        cache.Set("long", "value", LongTtl, "t");

        await AdvanceTimeAsync(PastShortTtl);

        Assert.False(cache.TryGet<string>("short", out _, "t"));
        Assert.Equal("value", cache.Get<string>("long", "t"));
    }

    [Fact]
    public async Task WhenTtlIsNullTheConfiguredDefaultApplies()
    {
        var cache = CreateCache(c => c.Ttl = ShortTtl);
        cache.Set("default", "value", tenantId: "t");
        cache.Set("explicit", "value", LongTtl, "t");
        Assert.Equal("value", cache.Get<string>("default", "t"));

        await AdvanceTimeAsync(PastShortTtl);

        Assert.False(cache.TryGet<string>("default", out _, "t"));
        Assert.Equal("value", cache.Get<string>("explicit", "t"));
    }

    [Fact]
    public async Task WhenTheConfiguredDefaultIsLongAnEntrySetWithoutTtlOutlivesShortOnes()
    {
        var cache = CreateCache(c => c.Ttl = LongTtl);
        cache.Set("default", "value", tenantId: "t");
        cache.Set("short", "value", ShortTtl, "t");

        await AdvanceTimeAsync(PastShortTtl);

        Assert.Equal("value", cache.Get<string>("default", "t"));
        Assert.False(cache.TryGet<string>("short", out _, "t"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenTtlIsInfiniteTheEntryOutlivesTheConfiguredDefault(CallStyle style)
    {
        var cache = CreateCache(c => c.Ttl = ShortTtl);
        var calls = new CacheCalls(cache, style);
        await calls.SetAsync("forever", "value", Timeout.InfiniteTimeSpan, "t");
        await calls.SetAsync("default", "value", tenantId: "t");

        await AdvanceTimeAsync(PastShortTtl);

        Assert.Equal("value", await calls.GetAsync<string>("forever", "t"));
        Assert.Null(await calls.GetAsync<string>("default", "t"));
    }

    [Fact]
    public async Task WhenTheConfiguredDefaultIsInfiniteAnEntrySetWithoutTtlDoesNotExpire()
    {
        var cache = CreateCache(c => c.Ttl = Timeout.InfiniteTimeSpan);
        cache.Set("default", "value", tenantId: "t");
        cache.Set("short", "value", ShortTtl, "t");

        await AdvanceTimeAsync(PastShortTtl);

        Assert.Equal("value", cache.Get<string>("default", "t"));
        Assert.False(cache.TryGet<string>("short", out _, "t"));
    }

    [Fact]
    public async Task WhenEntriesHaveTheirOwnTtlsEachExpiresOnItsOwn()
    {
        var cache = CreateCache(c => c.Ttl = LongTtl);
        cache.Set("short", 1, ShortTtl);
        cache.Set("long", 2, LongTtl);
        cache.Set("forever", 3, Timeout.InfiniteTimeSpan);
        cache.Set("default", 4);
        cache.Set("short", 5, ShortTtl, "t");

        await AdvanceTimeAsync(PastShortTtl);

        Assert.False(cache.TryGet<int>("short", out _));
        Assert.False(cache.TryGet<int>("short", out _, "t"));
        Assert.Equal(2, cache.Get<int>("long"));
        Assert.Equal(3, cache.Get<int>("forever"));
        Assert.Equal(4, cache.Get<int>("default"));
    }

    [Fact]
    public async Task WhenAnEntryIsOverwrittenItTakesTheNewTtl()
    {
        var cache = CreateCache();
        cache.Set("lengthened", "old", ShortTtl);
        cache.Set("lengthened", "new", LongTtl);
        cache.Set("shortened", "old", LongTtl);
        cache.Set("shortened", "new", ShortTtl);

        await AdvanceTimeAsync(PastShortTtl);

        Assert.Equal("new", cache.Get<string>("lengthened"));
        Assert.False(cache.TryGet<string>("shortened", out _));
    }

    [Fact]
    public async Task WhenAnEntryHasExpiredNoReadPathReturnsIt()
    {
        var cache = CreateCache();
        string[] keys = ["get", "tryget", "getasync", "getmany", "getorset", "delete", "invalidate", "invalidate-glob"];
        foreach (var key in keys)
        {
            cache.Set(key, "stale", ShortTtl, "t");
        }

        cache.Set("alive", "fresh", LongTtl, "t");

        await AdvanceTimeAsync(PastShortTtl);

        Assert.Equal("default", cache.Get("get", "t", "default"));
        Assert.False(cache.TryGet<string>("tryget", out _, "t"));
        Assert.Null(await cache.GetAsync<string>("getasync", "t"));
        var many = await cache.GetManyAsync<string>(["getmany", "alive"], "t");
        Assert.Equal(["alive"], many.Keys);
        Assert.Equal("made", await cache.GetOrSetAsync("getorset", _ => ValueTask.FromResult("made"), tenantId: "t"));
        Assert.False(cache.Delete("delete", "t"));
        Assert.Equal(0, cache.Invalidate("invalidate", "t"));
        Assert.Equal(0, cache.Invalidate("invalidate-g*", "t"));
        Assert.Equal(5, cache.GetStats("t").Misses);
        Assert.Equal(1, cache.GetStats("t").Hits);
    }

    [Fact]
    public async Task WhenEntriesHaveExpiredClearAndInvalidateCountOnlyLiveOnes()
    {
        var cache = CreateCache();
        for (var i = 0; i < 5; i++)
        {
            cache.Set($"stale{i}", i, ShortTtl, "a");
            cache.Set($"stale{i}", i, ShortTtl, "b");
        }

        cache.Set("live1", 1, LongTtl, "a");
        cache.Set("live2", 2, LongTtl, "a");
        cache.Set("live1", 1, LongTtl, "b");

        await AdvanceTimeAsync(PastShortTtl);

        Assert.Equal(2, cache.Invalidate("*", "a"));
        Assert.Equal(1, cache.Clear("b"));
        Assert.Equal(0, cache.Clear());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(-9_999L)]
    [InlineData(-10_001L)]
    [InlineData(-10_000_000L)]
    [InlineData(long.MinValue)]
    public async Task WhenTtlIsZeroOrNegativeEveryWriteThrowsAndStoresNothing(long ticks)
    {
        var cache = CreateCache();
        var ttl = TimeSpan.FromTicks(ticks);
        cache.Set("existing", "original", LongTtl, "t");
        var pairs = new Dictionary<string, string> { ["warm"] = "value", ["existing"] = "warmed" };

        AssertTtlRejected(Assert.Throws<ArgumentOutOfRangeException>(() => cache.Set("existing", "changed", ttl, "t")));
        AssertTtlRejected(Assert.Throws<ArgumentOutOfRangeException>(() => cache.Set("new", "value", ttl, "t")));
        AssertTtlRejected(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await cache.SetAsync("existing", "changed", ttl, "t")));
        AssertTtlRejected(Assert.Throws<ArgumentOutOfRangeException>(() => cache.WarmCache(pairs, ttl, "t")));
        AssertTtlRejected(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await cache.WarmCacheAsync(pairs, ttl, "t")));
        var factoryRuns = 0;
        AssertTtlRejected(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await cache.GetOrSetAsync("new", _ => { factoryRuns++; return ValueTask.FromResult("made"); }, ttl, "t")));

        Assert.Equal(0, factoryRuns);
        Assert.Equal("original", cache.Get<string>("existing", "t"));
        Assert.False(cache.TryGet<string>("new", out _, "t"));
        Assert.False(cache.TryGet<string>("warm", out _, "t"));
        var stats = await cache.GetStatsAsync("t");
        Assert.Equal(1, stats.Size);
        Assert.Equal(1, stats.Sets);

        void AssertTtlRejected(ArgumentOutOfRangeException exception)
        {
            Assert.Equal("ttl", exception.ParamName);
            Assert.Contains("InfiniteTimeSpan", exception.Message, StringComparison.Ordinal);
        }
    }
}
