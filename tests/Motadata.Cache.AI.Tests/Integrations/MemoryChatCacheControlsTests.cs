using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.AI.Tests.Integrations;

public sealed class MemoryChatCacheControlsTests : ChatCacheControlsTests
{
    protected override void ConfigureBackend(CacheConfig config) => config.Backend = CacheBackend.Memory;

    protected override Task AssertExpiresWithinAsync(CacheMechanism cache, FakeTimeProvider clock, string key, string tenant, TimeSpan ttl)
    {
        clock.Advance(ttl - TimeSpan.FromSeconds(1));
        Assert.True(cache.TryGet<object>(key, out _, tenant));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(cache.TryGet<object>(key, out _, tenant));
        return Task.CompletedTask;
    }
}
