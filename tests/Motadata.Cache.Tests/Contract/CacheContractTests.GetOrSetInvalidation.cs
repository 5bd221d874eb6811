namespace Motadata.Cache.Tests.Contract;

/// <summary>
/// A factory that started before a Delete, Invalidate or Clear read the data source before it changed: its value must
/// not reach the cache, nor a caller that arrives after the invalidation returned.
/// </summary>
public abstract partial class CacheContractTests
{
    /// <summary>Which invalidation a test makes while the factory runs.</summary>
    public enum Removal
    {
        Delete,
        InvalidatePattern,
        ClearTenant,
        ClearEverything,
    }

    /// <summary>Every removal, through the synchronous method and its async twin.</summary>
    public static TheoryData<Removal, CallStyle> EveryRemoval()
    {
        var data = new TheoryData<Removal, CallStyle>();
        foreach (var removal in Enum.GetValues<Removal>())
        {
            data.Add(removal, CallStyle.Sync);
            data.Add(removal, CallStyle.Async);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryRemoval))]
    public async Task WhenAKeyIsRemovedWhileItsFactoryRunsTheFactorysValueIsNotCached(Removal removal, CallStyle style)
    {
        var (cache, stale, early) = await RemoveWhileAFactoryRunsAsync(removal, style);
        stale.Release();

        // The caller that started before the removal gets its value; the cache does not keep it.
        Assert.Equal("stale", await early.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(cache.TryGet<string>("user:1", out var cached, "t"), $"found '{cached}' after the removal returned");
        Assert.Equal("fresh", await cache.GetOrSetAsync("user:1", _ => ValueTask.FromResult("fresh"), tenantId: "t"));
        Assert.Equal("fresh", cache.Get<string>("user:1", "t"));
    }

    [Theory]
    [MemberData(nameof(EveryRemoval))]
    public async Task WhenAKeyIsRemovedWhileItsFactoryRunsALaterCallerRunsAFreshFactory(Removal removal, CallStyle style)
    {
        var (cache, stale, early) = await RemoveWhileAFactoryRunsAsync(removal, style);
        var late = await cache.GetOrSetAsync("user:1", _ => ValueTask.FromResult("fresh"), tenantId: "t").AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        stale.Release();

        Assert.Equal("fresh", late);
        Assert.Equal("stale", await early.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("fresh", cache.Get<string>("user:1", "t"));
        Assert.Equal(1, stale.Runs);
    }

    [Theory]
    [InlineData(CallStyle.Sync)]
    [InlineData(CallStyle.Async)]
    public async Task WhenAnotherKeyOrTenantIsRemovedARunningFactoryStillCachesItsValue(CallStyle style)
    {
        var cache = CreateCache();
        var calls = new CacheCalls(cache, style);
        var factory = new GatedFactory("made");
        var waiter = cache.GetOrSetAsync("user:1", factory.RunAsync, tenantId: "t").AsTask();
        await factory.Started.WaitAsync(TimeSpan.FromSeconds(10));

        await calls.DeleteAsync("user:1", "other");
        await calls.DeleteAsync("user:1");
        await calls.DeleteAsync("user:2", "t");
        await calls.InvalidateAsync("user:*", "other");
        await calls.InvalidateAsync("order:*", "t");
        await calls.ClearAsync("other");
        var joined = cache.GetOrSetAsync("user:1", _ => ValueTask.FromResult("second factory"), tenantId: "t").AsTask();
        factory.Release();

        Assert.Equal("made", await waiter.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("made", await joined.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("made", cache.Get<string>("user:1", "t"));
        Assert.Equal(1, factory.Runs);
    }

    [Fact]
    public async Task WhenEveryCallerOfARemovedKeysFactoryGivesUpTheFactoryIsCancelled()
    {
        var cache = CreateCache();
        var stale = new GatedFactory("stale");
        using var caller = new CancellationTokenSource();
        var early = cache.GetOrSetAsync("user:1", stale.RunAsync, tenantId: "t", cancellationToken: caller.Token).AsTask();
        await stale.Started.WaitAsync(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(() => cache.WaitingCallers<string>("user:1", "t") == 1, "the caller waits");

        cache.Delete("user:1", "t");
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => early);
        await stale.Cancelled.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(cache.TryGet<string>("user:1", out _, "t"));
    }

    /// <summary>Starts a gated factory for tenant t's "user:1", then removes the key while it runs.</summary>
    private async Task<(CacheMechanism Cache, GatedFactory Stale, Task<string> Early)> RemoveWhileAFactoryRunsAsync(Removal removal, CallStyle style)
    {
        var cache = CreateCache();
        var stale = new GatedFactory("stale");
        var early = cache.GetOrSetAsync("user:1", stale.RunAsync, tenantId: "t").AsTask();
        await stale.Started.WaitAsync(TimeSpan.FromSeconds(10));

        await RemoveAsync(new CacheCalls(cache, style), removal, "user:1", "t");
        return (cache, stale, early);
    }

    private static Task RemoveAsync(CacheCalls calls, Removal removal, string key, string tenantId) => removal switch
    {
        Removal.Delete => calls.DeleteAsync(key, tenantId),
        Removal.InvalidatePattern => calls.InvalidateAsync(key[..^1] + "*", tenantId),
        Removal.ClearTenant => calls.ClearAsync(tenantId),
        _ => calls.ClearAsync(),
    };
}
