namespace Motadata.Cache.Tests.Contract;

/// <summary>
/// The behaviour every backend must share, written once. A backend's test class derives from this, says how to
/// point a <see cref="CacheConfig"/> at its backend, and how to move time forward (a fake clock for memory, a real
/// wait for a server).
/// </summary>
public abstract partial class CacheContractTests : IAsyncLifetime
{
    private readonly List<CacheMechanism> _caches = [];

    /// <summary>Points <paramref name="config"/> at this backend (URL, clock, isolated key prefix).</summary>
    protected abstract void ConfigureBackend(CacheConfig config);

    /// <summary>Moves this backend's time forward by at least <paramref name="by"/>.</summary>
    protected abstract Task AdvanceTimeAsync(TimeSpan by);

    /// <summary>A new cache on this backend; disposed after the test.</summary>
    protected CacheMechanism CreateCache(Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig();
        ConfigureBackend(config);
        configure?.Invoke(config);
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return cache;
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }
    }

    [Fact]
    public void WhenValueIsSetGetReturnsIt()
    {
        var cache = CreateCache();

        Assert.True(cache.Set("key1", "value1", TimeSpan.FromHours(1), "tenant_123"));

        Assert.Equal("value1", cache.Get<string>("key1", "tenant_123"));
        Assert.True(cache.TryGet<string>("key1", out var value, "tenant_123"));
        Assert.Equal("value1", value);
    }

    [Theory]
    [InlineData("a", "b:c", "a:b", "c")]
    [InlineData("a*", "b", "a", "*b")]
    [InlineData("{t}", "k", "{t", "}k")]
    [InlineData("t[1]", "k", "t", "[1]k")]
    public void WhenTenantAndKeyCharactersCouldCollideTheEntriesStayApart(string tenant1, string key1, string tenant2, string key2)
    {
        var cache = CreateCache();

        cache.Set(key1, "first", tenantId: tenant1);
        cache.Set(key2, "second", tenantId: tenant2);

        Assert.Equal("first", cache.Get<string>(key1, tenant1));
        Assert.Equal("second", cache.Get<string>(key2, tenant2));
        Assert.Null(cache.Get<string>(key2, tenant1));
        Assert.Null(cache.Get<string>(key1, tenant2));
    }

    [Fact]
    public async Task WhenTtlRunsOutTheEntryIsNeverReturned()
    {
        var cache = CreateCache();
        cache.Set("short", "value", TimeSpan.FromMilliseconds(200), "t");
        cache.Set("long", "value", TimeSpan.FromHours(1), "t");

        await AdvanceTimeAsync(TimeSpan.FromMilliseconds(400));

        Assert.False(cache.TryGet<string>("short", out _, "t"));
        Assert.Equal("value", cache.Get<string>("long", "t"));
    }
}
