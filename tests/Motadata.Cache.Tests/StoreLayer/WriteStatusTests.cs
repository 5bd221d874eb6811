using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.StoreLayer;

/// <summary>
/// <see cref="CacheMechanism.SetWithStatus{T}"/> tells a caller why a write did not happen, whatever the backend:
/// <see cref="CacheWriteStatus.TooLarge"/> (the caller's to fix, nothing changed) apart from
/// <see cref="CacheWriteStatus.Unavailable"/> (an outage, recovery on), and <see cref="CacheMechanism.Set{T}"/> still
/// answers false for both. Real servers, paused for real.
/// </summary>
public sealed class WriteStatusTests
{
    [Fact]
    public async Task WhenAMemoryValueIsLargerThanTheMemoryBoundItIsTooLargeAndNothingChanges()
    {
        await using var cache = new CacheMechanism(new CacheConfig { MaxMemoryBytes = 4_096 });
        cache.Set("k", "small");

        Assert.Equal(CacheWriteStatus.TooLarge, cache.SetWithStatus("k", new string('x', 10_000)));
        Assert.Equal(CacheWriteStatus.TooLarge, await cache.SetWithStatusAsync("k", new string('x', 10_000)));
        Assert.False(cache.Set("k", new string('x', 10_000)));
        Assert.Equal("small", cache.Get<string>("k"));
        Assert.Equal(CacheWriteStatus.Stored, cache.SetWithStatus("k", "other"));
        Assert.Equal(2, cache.GetStats().Sets);
    }

    [Fact]
    public async Task WhenADragonflyValueIsOverMaxValueBytesItIsTooLargeWithRecoveryOnOrOff()
    {
        await using var server = await RedisServer.StartAsync();
        foreach (var recovery in new[] { true, false })
        {
            await using var cache = Create(server, recovery, maxValueBytes: 100);
            Assert.Equal(CacheWriteStatus.Stored, await cache.SetWithStatusAsync("k", "small", tenantId: "t"));

            Assert.Equal(CacheWriteStatus.TooLarge, cache.SetWithStatus("k", new string('x', 500), tenantId: "t"));
            Assert.Equal(CacheWriteStatus.TooLarge, await cache.SetWithStatusAsync("k", new byte[500], tenantId: "t"));
            Assert.Equal("small", await cache.GetAsync<string>("k", "t"));
            Assert.Equal(CacheHealthStatus.Healthy, cache.Health.Status);
            Assert.Equal(2, cache.GetStats("t").RejectedValues);
        }
    }

    [Fact]
    public async Task WhenTheServerIsAwayWithRecoveryOnAWriteIsUnavailableNotTooLarge()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = Create(server, recovery: true, maxValueBytes: 100);
        server.Pause();
        try
        {
            Assert.Equal(CacheWriteStatus.Unavailable, cache.SetWithStatus("k", "v", tenantId: "t"));
            Assert.Equal(CacheWriteStatus.Unavailable, await cache.SetWithStatusAsync("k", "v", tenantId: "t"));

            // Refused before the server is asked: too large even during an outage.
            Assert.Equal(CacheWriteStatus.TooLarge, await cache.SetWithStatusAsync("big", new string('x', 500), tenantId: "t"));
        }
        finally
        {
            server.Resume();
        }

        Assert.Equal(0, cache.GetStats("t").Sets);
    }

    [Fact]
    public async Task WhenTheServerIsAwayWithRecoveryOffAWriteThrowsTheBackendFailure()
    {
        await using var server = await RedisServer.StartAsync();
        await using var cache = Create(server, recovery: false, maxValueBytes: 100);
        server.Pause();
        try
        {
            var failure = await Assert.ThrowsAsync<CacheBackendException>(() => cache.SetWithStatusAsync("k", "v", tenantId: "t").AsTask());
            Assert.Contains(server.EndPoint, failure.Message, StringComparison.Ordinal);
            Assert.Throws<CacheBackendException>(() => cache.SetWithStatus("k", "v", tenantId: "t"));
        }
        finally
        {
            server.Resume();
        }
    }

    private static CacheMechanism Create(RedisServer server, bool recovery, int maxValueBytes) => new(new CacheConfig
    {
        Backend = CacheBackend.Dragonfly,
        DragonflyUrl = server.Url,
        KeyPrefix = $"status-{Guid.NewGuid():N}:",
        EnableRecovery = recovery,
        MaxValueBytes = maxValueBytes,

        // Long enough that nothing times out before the pause; the paused calls wait this long, once each.
        OperationTimeout = TimeSpan.FromSeconds(2),
        RecoveryBreakDuration = TimeSpan.FromSeconds(30),
    });
}
