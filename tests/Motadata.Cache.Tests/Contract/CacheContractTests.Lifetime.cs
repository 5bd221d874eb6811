namespace Motadata.Cache.Tests.Contract;

public abstract partial class CacheContractTests
{
    [Theory]
    [MemberData(nameof(TenantOperations))]
    public async Task WhenTheCacheIsDisposedEveryCallThrowsObjectDisposedException(string operation)
    {
        var cache = CreateCache();
        cache.Set("existing", "value", tenantId: "t");

        cache.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => CallAsync(cache, operation, "existing", "t"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => CallAsync(cache, operation, "existing", null));
    }

    [Fact]
    public async Task WhenTheCacheIsDisposedAsynchronouslyCallsThrowAndDisposingAgainIsHarmless()
    {
        var cache = CreateCache();

        await cache.DisposeAsync();
        await cache.DisposeAsync();
        cache.Dispose();

        Assert.Throws<ObjectDisposedException>(() => cache.Set("k", 1));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await cache.GetAsync<int>("k"));
        Assert.Throws<ObjectDisposedException>(() => cache.WarmCache(new Dictionary<string, int>()));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await cache.GetManyAsync<int>([]));
    }

    [Fact]
    public async Task WhenTheConfigIsChangedAfterConstructionTheCacheIgnoresIt()
    {
        var config = CreateConfig(c =>
        {
            c.Ttl = LongTtl;
            c.MaxKeyLength = 32;
        });
        var cache = CreateCacheFrom(config);

        config.Ttl = TimeSpan.FromMilliseconds(1);
        config.MaxKeyLength = 4;
        config.MaxSize = 1;
        config.KeyPrefix = "changed:";
        config.Backend = (CacheBackend)99;
        config.DragonflyUrl = "nonsense";

        var key = new string('k', 32);
        Assert.True(cache.Set(key, "value"));
        cache.Set("second", "value");
        Assert.Throws<ArgumentException>(() => cache.Set(new string('k', 33), "value"));
        await AdvanceTimeAsync(PastShortTtl);
        Assert.Equal("value", cache.Get<string>(key));
        Assert.Equal("value", cache.Get<string>("second"));
        Assert.Equal(32, cache.Config.MaxKeyLength);
        Assert.Equal(LongTtl, cache.Config.Ttl);
    }

    [Fact]
    public void WhenTheConfigReturnedByTheCacheIsChangedTheCacheIgnoresIt()
    {
        var cache = CreateCache(c => c.MaxKeyLength = 8);

        var copy = cache.Config;
        copy.MaxKeyLength = 1000;

        Assert.Equal(8, cache.Config.MaxKeyLength);
        Assert.NotSame(cache.Config, cache.Config);
        Assert.Throws<ArgumentException>(() => cache.Set(new string('k', 9), "value"));
    }
}
