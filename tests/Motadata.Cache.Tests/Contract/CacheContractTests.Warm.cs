namespace Motadata.Cache.Tests.Contract;

public abstract partial class CacheContractTests
{
    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenCacheIsWarmedEveryPairIsStoredAndCounted(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);
        var customers = Enumerable.Range(1, 50).ToDictionary(i => $"customer:{i}", i => new Customer(i, $"name{i}", ["r"]));
        cache.Set("customer:1", new Customer(0, "old", []), tenantId: "t");

        Assert.Equal(50, await calls.WarmCacheAsync(customers, "t"));

        foreach (var pair in customers)
        {
            var back = cache.Get<Customer>(pair.Key, "t");
            Assert.NotNull(back);
            Assert.Equal(pair.Value.Id, back.Id);
            Assert.Equal(pair.Value.Name, back.Name);
        }

        Assert.Null(cache.Get<Customer>("customer:1"));
        var stats = await cache.GetStatsAsync("t");
        Assert.Equal(50, stats.Size);
        Assert.Equal(51, stats.Sets);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenWarmedWithAndWithoutTtlTheEntriesTakeTheGivenOrDefaultTtl(CallStyle style)
    {
        var cache = CreateCache(c => c.Ttl = ShortTtl);
        var calls = new CacheCalls(cache, style);

        Assert.Equal(2, await calls.WarmCacheAsync(new Dictionary<string, string> { ["d1"] = "v", ["d2"] = "v" }, "t"));
        Assert.Equal(2, await calls.WarmCacheAsync(new Dictionary<string, string> { ["l1"] = "v", ["l2"] = "v" }, "t", LongTtl));
        Assert.Equal(1, await calls.WarmCacheAsync(new Dictionary<string, string> { ["f1"] = "v" }, "t", Timeout.InfiniteTimeSpan));
        Assert.Equal(1, await calls.WarmCacheAsync(new Dictionary<string, string> { ["s1"] = "v" }, "t", ShortTtl));
        Assert.Equal("v", cache.Get<string>("d1", "t"));

        await AdvanceTimeAsync(PastShortTtl);

        Assert.False(cache.TryGet<string>("d1", out _, "t"));
        Assert.False(cache.TryGet<string>("d2", out _, "t"));
        Assert.False(cache.TryGet<string>("s1", out _, "t"));
        Assert.Equal("v", cache.Get<string>("l1", "t"));
        Assert.Equal("v", cache.Get<string>("l2", "t"));
        Assert.Equal("v", cache.Get<string>("f1", "t"));
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenCacheIsWarmedWithNothingItStoresNothing(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);

        Assert.Equal(0, await calls.WarmCacheAsync(new Dictionary<string, int>(), "t"));
        Assert.Equal(0, await calls.WarmCacheAsync(Enumerable.Empty<KeyValuePair<string, int>>()));

        Assert.Equal(0, (await cache.GetUsageAsync()).Size);
        Assert.Equal(0, cache.GetStats().Sets);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenCacheIsWarmedFromALazySequenceEveryPairIsStored(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);

        Assert.Equal(1000, await calls.WarmCacheAsync(Pairs(1000), "t"));

        Assert.Equal(1000, (await cache.GetUsageAsync("t")).Size);
        Assert.Equal(new byte[] { 0, 0, 3, 231 }, cache.Get<byte[]>("k999", "t"));

        static IEnumerable<KeyValuePair<string, byte[]>> Pairs(int count)
        {
            for (var i = 0; i < count; i++)
            {
                yield return new KeyValuePair<string, byte[]>($"k{i}", [(byte)(i >> 24), (byte)(i >> 16), (byte)(i >> 8), (byte)i]);
            }
        }
    }

    [Fact]
    public async Task WhenManyKeysAreLookedUpAtOnceOnlyTheHitsComeBackAndEachKeyIsCounted()
    {
        var cache = CreateCache();
        cache.Set("a", 1, tenantId: "t");
        cache.Set("b", 2, tenantId: "t");
        cache.Set("c", 3, tenantId: "other");
        cache.Set("d", 4);

        var found = await cache.GetManyAsync<int>(["a", "b", "c", "d", "missing", "a"], "t");

        Assert.Equal(2, found.Count);
        Assert.Equal(1, found["a"]);
        Assert.Equal(2, found["b"]);
        var stats = cache.GetStats("t");
        Assert.Equal(3, stats.Hits);
        Assert.Equal(3, stats.Misses);
        Assert.Equal(0, cache.GetStats("other").Misses);
    }

    [Fact]
    public async Task WhenManyKeysAreLookedUpInTheGlobalNamespaceTenantsAreNotSeen()
    {
        var cache = CreateCache();
        cache.Set("k", new Customer(1, "global", []));
        cache.Set("k", new Customer(2, "tenant", []), tenantId: "t");

        var found = await cache.GetManyAsync<Customer>(["k", "x"]);

        Assert.Equal("global", Assert.Single(found).Value.Name);
    }

    [Fact]
    public async Task WhenNoKeysAreLookedUpGetManyReturnsNothingAndCountsNothing()
    {
        var cache = CreateCache();

        var found = await cache.GetManyAsync<string>([], "t");

        Assert.Empty(found);
        Assert.Equal(0, cache.GetStats().Misses);
    }

    [Fact]
    public async Task WhenManyKeysAreLookedUpInABigBatchEveryOneIsFound()
    {
        var cache = CreateCache();
        cache.WarmCache(Enumerable.Range(0, 2000).ToDictionary(i => $"k{i}", i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), tenantId: "t");

        var found = await cache.GetManyAsync<string>(Enumerable.Range(0, 2100).Select(i => $"k{i}"), "t");

        Assert.Equal(2000, found.Count);
        Assert.Equal("1234", found["k1234"]);
        Assert.Equal(2000, cache.GetStats("t").Hits);
        Assert.Equal(100, cache.GetStats("t").Misses);
    }
}
