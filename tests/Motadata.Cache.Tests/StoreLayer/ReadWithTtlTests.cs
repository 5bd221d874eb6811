using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores;
using Motadata.Cache.Stores.Backends.Dragonfly;
using Motadata.Cache.Stores.Backends.Memory;
using Motadata.Cache.Stores.Tiers.Recovery;
using Motadata.Cache.Tests.Infrastructure;
using StackExchange.Redis;

namespace Motadata.Cache.Tests.StoreLayer;

/// <summary>
/// <see cref="ICacheStore.ReadWithTtlAsync{T}"/> as a store operation: on Dragonfly the value with the server's own
/// remaining TTL, and through recovery like any read (a miss or the fallback tier's value while the server is
/// paused, never a failure). Real <c>redis-server</c>; TTLs checked against the server's <c>PTTL</c>, not the clock.
/// </summary>
public sealed class ReadWithTtlTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(30);
    private readonly string _keyPrefix = $"ttl-{Guid.NewGuid():N}:";

    [Fact]
    public async Task DragonflyAnswersTheValueWithTheServersRemainingTtl()
    {
        await using var server = await RedisServer.StartAsync();
        using var store = new DragonflyStore(Config(server), new CacheCounters());
        var key = new CacheKey("t1", "k");
        Assert.True(store.Write(key, "v", TimeSpan.FromHours(1)).IsStored);

        var read = await store.ReadWithTtlAsync<string>(key, CancellationToken.None);
        var serverTtl = await ServerTtlAsync(server, store, key);

        Assert.True(read.Found);
        Assert.Equal("v", read.Value.Value);
        Assert.NotNull(read.Value.Ttl);

        // Asked before the server's PTTL below, so it is no shorter; never longer than what was set.
        Assert.InRange(read.Value.Ttl!.Value, serverTtl, TimeSpan.FromHours(1));
        var sync = store.ReadWithTtl<string>(key);
        Assert.Equal("v", sync.Value.Value);
        Assert.InRange(sync.Value.Ttl!.Value, TimeSpan.FromMilliseconds(1), read.Value.Ttl.Value);
    }

    [Fact]
    public async Task AnAbsentKeyIsAPlainMissOnEveryReadPath()
    {
        await using var server = await RedisServer.StartAsync();
        var counters = new CacheCounters();
        using var store = new DragonflyStore(Config(server), counters);
        var key = new CacheKey("t1", "absent");

        AssertMiss(store.Read<string>(key));
        AssertMiss(await store.ReadAsync<string>(key, CancellationToken.None));
        AssertMiss(store.ReadWithTtl<string>(key));
        AssertMiss(await store.ReadWithTtlAsync<string>(key, CancellationToken.None));
        var many = await store.ReadManyAsync<string>("t1", ["absent", "also absent"], CancellationToken.None);
        Assert.Null(many.Failure);
        Assert.All(many.Result, static outcome => AssertMiss(outcome));

        // The one read rule tells "no such key" from "unreadable bytes": nothing counted as corrupt, nothing removed.
        Assert.Equal(0, counters.For("t1").CorruptPayloads);
        Assert.Equal(0, counters.Total(CounterKind.BackendFailures, null));
    }

    [Fact]
    public async Task DragonflyAnswersNoExpiryAsInfiniteAndAnAbsentKeyAsAMiss()
    {
        await using var server = await RedisServer.StartAsync();
        using var store = new DragonflyStore(Config(server), new CacheCounters());
        Assert.True(store.Write(new CacheKey(null, "forever"), 42, Timeout.InfiniteTimeSpan).IsStored);

        var forever = await store.ReadWithTtlAsync<int>(new CacheKey(null, "forever"), CancellationToken.None);
        var absent = await store.ReadWithTtlAsync<int>(new CacheKey(null, "absent"), CancellationToken.None);

        Assert.Equal(new TimedValue<int>(42, Timeout.InfiniteTimeSpan), forever.Value);
        Assert.False(absent.Found);
        Assert.Null(absent.Failure);
    }

    [Fact]
    public async Task AnUnreadableValueIsAMissAndIsRemovedByTheOneReadRule()
    {
        await using var server = await RedisServer.StartAsync();
        var counters = new CacheCounters();
        using var store = new DragonflyStore(Config(server), counters);
        var key = new CacheKey("t1", "list");
        await store.Keys.Root.ListRightPushAsync(store.Keys.ServerKey(key.TenantId, key.Key), "not a cached value");

        var read = await store.ReadWithTtlAsync<string>(key, CancellationToken.None);

        Assert.False(read.Found);
        Assert.Null(read.Failure);
        Assert.Equal(1, counters.For("t1").CorruptPayloads);
        Assert.False(await store.Keys.Root.KeyExistsAsync(store.Keys.ServerKey(key.TenantId, key.Key)));
    }

    [Fact]
    public async Task ThroughRecoveryAPausedServerReadsAsAMissOrTheFallbackValueWithoutATtl()
    {
        await using var server = await RedisServer.StartAsync();
        var config = Config(server);
        var dragonfly = new DragonflyStore(config, new CacheCounters());
        var fallbackConfig = new CacheConfig { MaxSize = 100 };
        await using var recovery = new RecoveringStore(
            dragonfly, dragonfly, config, new CacheCounters(), TimeProvider.System, () => new MemoryStore(fallbackConfig, new CacheCounters(), TimeProvider.System));
        var kept = new CacheKey("t1", "kept");
        var held = new CacheKey("t1", "held");
        Assert.True(recovery.Write(kept, "v", TimeSpan.FromHours(1)).IsStored);
        Assert.NotNull((await recovery.ReadWithTtlAsync<string>(kept, CancellationToken.None)).Value.Ttl);

        server.Pause();
        try
        {
            var paused = await recovery.ReadWithTtlAsync<string>(kept, CancellationToken.None);
            Assert.False(paused.Found);
            Assert.Null(paused.Failure);
            Assert.False(recovery.IsHealthy);
            Assert.False(recovery.ReadWithTtl<string>(kept).Found);

            // A write the server did not take is held by the fallback tier: served, but with no TTL to trust.
            Assert.Equal(CacheWriteStatus.Unavailable, recovery.Write(held, "local", TimeSpan.FromHours(1)).Status);
            var fallback = await recovery.ReadWithTtlAsync<string>(held, CancellationToken.None);
            Assert.Equal(new TimedValue<string>("local", null), fallback.Value);
        }
        finally
        {
            server.Resume();
        }

        await recovery.WaitUntilHealthyAsync(CancellationToken.None).WaitAsync(s_patience);
        var back = await recovery.ReadWithTtlAsync<string>(kept, CancellationToken.None);
        Assert.Equal("v", back.Value.Value);
        Assert.NotNull(back.Value.Ttl);

        // The journaled delete of the write the server missed was replayed.
        Assert.False((await recovery.ReadWithTtlAsync<string>(held, CancellationToken.None)).Found);
    }

    // A timeout a busy two-core machine does not reach on a healthy server, short enough for the paused-server test.
    private CacheConfig Config(RedisServer server) => new()
    {
        Backend = CacheBackend.Dragonfly,
        DragonflyUrl = server.Url,
        KeyPrefix = _keyPrefix,
        EnableRecovery = true,
        OperationTimeout = TimeSpan.FromSeconds(2),
        RecoveryBreakDuration = TimeSpan.FromMilliseconds(500),
    };

    private static void AssertMiss<T>(ReadOutcome<T> outcome)
    {
        Assert.Null(outcome.Failure);
        Assert.False(outcome.Found);
    }

    private static async Task<TimeSpan> ServerTtlAsync(RedisServer server, DragonflyStore store, CacheKey key)
    {
        await using var raw = await ConnectionMultiplexer.ConnectAsync(server.EndPoint);
        var milliseconds = (long)await raw.GetDatabase().ExecuteAsync("PTTL", store.Keys.ServerKey(key.TenantId, key.Key));
        Assert.True(milliseconds > 0, $"PTTL answered {milliseconds}");
        return TimeSpan.FromMilliseconds(milliseconds);
    }
}
