using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.AI.Agents.Tests;

public sealed class MemoryAgentHistoryTests : AgentHistoryTests
{
    protected override void ConfigureBackend(CacheConfig config) => config.Backend = CacheBackend.Memory;

    protected override Task AgeAsync(CacheMechanism cache, FakeTimeProvider clock, string key, string? tenant)
    {
        clock.Advance(TimeSpan.FromMinutes(50));
        return Task.CompletedTask;
    }

    protected override Task AssertFreshTtlAsync(CacheMechanism cache, FakeTimeProvider clock, string key, string? tenant)
    {
        // 50 minutes after the second turn (100 after the first): alive only if the second turn restarted the hour.
        clock.Advance(TimeSpan.FromMinutes(50));
        Assert.True(cache.TryGet<object>(key, out _, tenant));
        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.False(cache.TryGet<object>(key, out _, tenant));
        return Task.CompletedTask;
    }
}
