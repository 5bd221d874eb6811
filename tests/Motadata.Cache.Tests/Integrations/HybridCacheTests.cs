using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace Motadata.Cache.Tests.Integrations;

/// <summary>HybridCache with our <see cref="IDistributedCache"/> as its second level, on every backend.</summary>
public abstract class HybridCacheTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    protected abstract void ConfigureBackend(CacheConfig config);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }

    private CacheMechanism CreateCache()
    {
        var config = new CacheConfig();
        ConfigureBackend(config);
        var cache = new CacheMechanism(config);
        _owned.Add(cache);
        return cache;
    }

    /// <summary>A HybridCache (its own first level) over <paramref name="cache"/>, as an app instance would have.</summary>
    private HybridCache CreateHybrid(CacheMechanism cache, string tenantId)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IDistributedCache>(cache.AsDistributedCache(tenantId));
        services.AddHybridCache();
        var provider = services.BuildServiceProvider();
        _owned.Add(provider);
        return provider.GetRequiredService<HybridCache>();
    }

    [Fact]
    public async Task WhenOneInstanceMadeAValueAnotherReadsItFromTheSecondLevel()
    {
        var cache = CreateCache();
        var first = CreateHybrid(cache, "tenant_a");
        var second = CreateHybrid(cache, "tenant_a");
        var calls = 0;

        var made = await first.GetOrCreateAsync("product:1", _ => { calls++; return ValueTask.FromResult("widget"); });
        var read = await second.GetOrCreateAsync("product:1", _ => { calls++; return ValueTask.FromResult("other"); });

        Assert.Equal("widget", made);
        Assert.Equal("widget", read);
        Assert.Equal(1, calls);
        Assert.True(cache.TryGet<byte[]>("product:1", out var stored, "tenant_a"));
        Assert.NotEmpty(stored);
    }

    [Fact]
    public async Task WhenTenantsDifferTheSecondLevelKeepsThemApart()
    {
        var cache = CreateCache();
        var a = CreateHybrid(cache, "tenant_a");
        var b = CreateHybrid(cache, "tenant_b");

        await a.GetOrCreateAsync("k", _ => ValueTask.FromResult(1));
        var fromB = await b.GetOrCreateAsync("k", _ => ValueTask.FromResult(2));

        Assert.Equal(2, fromB);
    }

    [Fact]
    public async Task WhenAValueIsRemovedThroughHybridCacheTheSecondLevelLosesIt()
    {
        var cache = CreateCache();
        var hybrid = CreateHybrid(cache, "t");
        await hybrid.SetAsync("k", "v");
        Assert.True(cache.TryGet<byte[]>("k", out _, "t"));

        await hybrid.RemoveAsync("k");

        Assert.False(cache.TryGet<byte[]>("k", out _, "t"));
        var fresh = CreateHybrid(cache, "t");
        Assert.Equal("made again", await fresh.GetOrCreateAsync("k", _ => ValueTask.FromResult("made again")));
    }

    [Fact]
    public async Task WhenHybridCacheSetsAnExpirationTheSecondLevelEntryCarriesIt()
    {
        var cache = CreateCache();
        var hybrid = CreateHybrid(cache, "t");

        await hybrid.SetAsync("k", "v", new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(3) });

        Assert.True(cache.TryGet<byte[]>("k", out var entry, "t"));
        var absoluteUnixMs = BitConverter.ToInt64(entry, 1);
        var expected = cache.TimeProvider.GetUtcNow().AddMinutes(3).ToUnixTimeMilliseconds();
        Assert.InRange(absoluteUnixMs, expected - 5_000, expected + 5_000);
    }
}

public sealed class MemoryHybridCacheTests : HybridCacheTests
{
    protected override void ConfigureBackend(CacheConfig config) => config.Backend = CacheBackend.Memory;
}

public sealed class DragonflyHybridCacheTests(RedisServerFixture redis) : HybridCacheTests, IClassFixture<RedisServerFixture>
{
    protected override void ConfigureBackend(CacheConfig config) => redis.Configure(config);
}
