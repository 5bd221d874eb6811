namespace Motadata.Cache.Tests.Memory;

public sealed class MemoryStoreTests : MemoryCacheFixture
{
    [Fact]
    public void WhenAReferenceValueIsSetTheSameInstanceComesBack()
    {
        var cache = CreateCache();
        var list = new List<int> { 1 };

        cache.Set("list", list);
        list.Add(2);

        var back = cache.Get<List<int>>("list");
        Assert.Same(list, back);
        Assert.Equal([1, 2], back);
    }

    [Fact]
    public async Task WhenAValueIsReadAsAnotherTypeItIsAMissAndTheEntryStays()
    {
        var cache = CreateCache();
        cache.Set("text", "value", tenantId: "t");
        cache.Set("number", 42, tenantId: "t");

        Assert.False(cache.TryGet<int>("text", out _, "t"));
        Assert.Equal(-1, cache.Get("number", "t", -1L));
        Assert.Null(await cache.GetAsync<string>("number", "t"));
        Assert.Empty(await cache.GetManyAsync<Uri>(["text", "number"], "t"));

        Assert.Equal("value", cache.Get<string>("text", "t"));
        Assert.Equal(42, cache.Get<int>("number", "t"));
        Assert.Equal("value", cache.Get<object>("text", "t"));
        var stats = cache.GetStats("t");
        Assert.Equal(5, stats.Misses);
        Assert.Equal(3, stats.Hits);
        Assert.Equal(2, stats.Size);
    }

    [Fact]
    public void WhenNullIsCachedAValueTypeReadIsAMiss()
    {
        var cache = CreateCache();
        cache.Set<string?>("nothing", null);

        Assert.False(cache.TryGet<int>("nothing", out _));
        Assert.True(cache.TryGet<int?>("nothing", out var nullable));
        Assert.Null(nullable);
    }

    [Fact]
    public async Task WhenGetOrSetAsksForTheSameKeyAsTwoTypesEachTypeRunsItsOwnFactory()
    {
        var cache = CreateCache();

        Assert.Equal("text", await cache.GetOrSetAsync("k", _ => ValueTask.FromResult("text")));
        Assert.Equal(5, await cache.GetOrSetAsync("k", _ => ValueTask.FromResult(5)));

        Assert.Equal(5, cache.Get<int>("k"));
        Assert.Equal(1, cache.GetStats().Size);
    }

    [Fact]
    public void WhenValuesAreStoredMemoryUsageGrowsWithTheirSizeAndFallsBackToZero()
    {
        var cache = CreateCache();

        cache.Set("small", new string('x', 10), tenantId: "t");
        var small = cache.GetStats("t").MemoryUsage;
        cache.Set("small", new string('x', 1000), tenantId: "t");
        var large = cache.GetStats("t").MemoryUsage;
        cache.Set("bytes", new byte[10_000], tenantId: "t");
        var withBytes = cache.GetStats("t").MemoryUsage;

        Assert.True(small > 0);
        Assert.Equal(small + (2 * 990), large);
        Assert.True(withBytes > large + 10_000);
        cache.Clear("t");
        Assert.Equal(0, cache.GetStats("t").MemoryUsage);
        Assert.Equal(0, cache.GetStats().MemoryUsage);
    }
}
