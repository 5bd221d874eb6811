using Motadata.Cache.Tests.Dragonfly;
using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.TwoLevel;

/// <summary>
/// An instance that may have missed backplane messages empties its local level and serves nothing locally until its
/// subscription is proven again; an invalidation made meanwhile by another instance is never served stale after that.
/// </summary>
public sealed class TwoLevelSubscriptionLossTests : TwoLevelTestsBase
{
    public TwoLevelSubscriptionLossTests(RedisServerFixture fixture)
        : base(fixture)
    {
    }

    [Fact]
    public async Task AfterThePubSubConnectionIsKilledAWriteMadeMeanwhileIsNeverServedStale()
    {
        var a = CreateInstance();
        var b = CreateInstance();
        Assert.True(a.Set("k", "old", tenantId: "t"));
        Assert.Equal("old", await ReadUntilLocalAsync<string>(b, "k", "t"));
        var flushes = b.GetStats().LocalFlushes;

        Assert.StartsWith(":", await Fixture.Server.CommandAsync("CLIENT", "KILL", "TYPE", "pubsub"));
        Assert.True(a.Set("k", "new", tenantId: "t"));

        // Once B has noticed the loss, it never serves the old value: first from the server, then locally again.
        await EventuallyAsync(() => b.GetStats().LocalFlushes > flushes, "B notices that its subscription was lost");
        await AssertNeverOldUntilServedLocallyAsync(b, "k", "t", "new");
    }

    [Fact]
    public async Task AfterAServerRestartAWriteMadeAfterItIsNeverServedStale()
    {
        await using var server = await RedisServer.StartAsync();
        var a = CreateInstance(config => Recovering(config, server));
        var b = CreateInstance(config => Recovering(config, server));
        Assert.True(a.Set("k", "old", tenantId: "t"));
        Assert.Equal("old", await ReadUntilLocalAsync<string>(b, "k", "t"));
        var flushes = b.GetStats().LocalFlushes;

        await server.KillAsync();
        await EventuallyAsync(() => b.GetStats().LocalFlushes > flushes && b.LocalLevel!.IsServing == false, "B notices the server went away");
        await server.RestartAsync();
        await EventuallyAsync(() => a.Set("k", "new", tenantId: "t"), "A writes again after the restart");

        // Attempts that failed on the way were journaled as deletes of the key (recovery's rule for a failed write):
        // once they are replayed, the write is made again so that it is the last word.
        using (var patience = new CancellationTokenSource(Patience))
        {
            await a.WaitForRecoveryAsync(patience.Token);
        }

        Assert.True(a.Set("k", "new", tenantId: "t"));

        await AssertNeverOldUntilServedLocallyAsync(b, "k", "t", "new");
    }

    [Fact]
    public async Task ADeleteJournaledDuringAnOutageIsAnnouncedOnceReplayedAndNeverServedStaleAfter()
    {
        await using var server = await RedisServer.StartAsync();
        var a = CreateInstance(config => Recovering(config, server));
        var b = CreateInstance(config => Recovering(config, server));
        Assert.True(a.Set("k", "old", tenantId: "t"));
        Assert.Equal("old", await ReadUntilLocalAsync<string>(b, "k", "t"));

        // A frozen server keeps its connections open: nobody's subscription breaks, and A's delete is journaled.
        server.Pause();
        try
        {
            a.Delete("k", "t");
            Assert.NotEqual(CacheHealthStatus.Healthy, a.Health.Status);
        }
        finally
        {
            server.Resume();
        }

        using (var patience = new CancellationTokenSource(Patience))
        {
            await a.WaitForRecoveryAsync(patience.Token);
        }

        // Replayed, then announced: B drops its copy and never serves it again.
        await EventuallyAsync(() => !b.TryGet<string>("k", out _, "t"), "B drops the value deleted during the outage");
        for (var i = 0; i < 50; i++)
        {
            Assert.False(b.TryGet<string>("k", out _, "t"));
        }

        Assert.Equal(":0", (await server.CommandAsync("EXISTS", RedisServerFixture.ServerKey(Prefix, "t", "k", a.Config.TenantPlacement))).TrimEnd());
    }

    [Fact]
    public async Task WhenTheServerFreezesWithItsConnectionsOpenTheMissingHeartbeatStopsLocalServing()
    {
        await using var server = await RedisServer.StartAsync();
        var b = CreateInstance(config => Recovering(config, server));
        Assert.True(b.Set("k", "v", tenantId: "t"));
        Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "k", "t"));

        // SIGSTOP: no connection breaks, so only the heartbeat can tell that messages no longer arrive.
        server.Pause();
        try
        {
            await EventuallyAsync(() => !b.LocalLevel!.IsServing && !b.LocalLevel.Backplane.IsConfirmed, "B stops trusting its subscription");
            Assert.False(b.LocalLevel!.Local.TryGet(new Motadata.Cache.Keys.CacheKey("t", "k"), out string? _), "the local level was emptied");
        }
        finally
        {
            server.Resume();
        }

        Assert.Equal("v", await ReadUntilLocalAsync<string>(b, "k", "t"));
    }

    private static void Recovering(CacheConfig config, RedisServer server)
    {
        config.DragonflyUrl = server.Url;
        config.EnableRecovery = true;
        config.OperationTimeout = TimeSpan.FromSeconds(1);
        config.RecoveryBreakDuration = TimeSpan.FromMilliseconds(500);
    }

    /// <summary>Reads until <paramref name="key"/> is a local hit again, asserting on every read that the old value never comes back.</summary>
    private static async Task AssertNeverOldUntilServedLocallyAsync(CacheMechanism cache, string key, string tenantId, string expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var localBefore = LocalHits(cache, tenantId);
            var value = cache.Get<string>(key, tenantId);
            Assert.True(value is null || value == expected, $"served '{value}' after the loss was noticed");
            if (value == expected && LocalHits(cache, tenantId) > localBefore)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the local level never served again (value '{value}', serving {cache.LocalLevel!.IsServing}, subscription proven {cache.LocalLevel.Backplane.IsConfirmed}, health {cache.Health.Status})");
            await Task.Delay(5);
        }
    }
}
