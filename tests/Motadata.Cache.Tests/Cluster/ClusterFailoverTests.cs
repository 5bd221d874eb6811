using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Motadata.Cache.Stores.Tiers.Cluster;
using Motadata.Cache.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// A primary of a real three-primary / three-replica Redis Cluster (<c>--cluster-replicas 1</c>,
/// <c>cluster-node-timeout</c> 2 s) killed with SIGKILL, its replica promoted by the cluster (waited for by polling
/// the nodes, never by sleeping), recovery on: nothing removed is served after the promotion, nothing written is
/// lost, walks count exactly, the departed primary is retired, and Health is Healthy again within
/// <see cref="HealthyBound"/> of the promotion. Each test has a cluster of its own (the failover changes it).
/// </summary>
public sealed class ClusterFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>How long after the promotion the cache must be Healthy again (measured: see docs/scale-out.md).</summary>
    private static readonly TimeSpan HealthyBound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);
    private const int Killed = 0;

    private string _prefix = RedisClusterFixture.UniquePrefix("failover");
    private readonly List<CacheMechanism> _caches = [];
    private RedisCluster? _cluster;
    private ConnectionMultiplexer? _raw;

    private RedisCluster Cluster => _cluster!;

    public async Task InitializeAsync()
    {
        _cluster = await RedisCluster.StartAsync(primaries: 3, replicasPerPrimary: 1, nodeTimeoutMilliseconds: 2000);
        _raw = await RedisClusterFixture.ConnectAsync(_cluster);
        Assert.Equal("master", await Cluster.RoleAsync(Killed));
    }

    public async Task DisposeAsync()
    {
        foreach (var cache in _caches)
        {
            await cache.DisposeAsync();
        }

        if (_raw is not null)
        {
            await _raw.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task AKilledPrimaryUnderReadOnlyTrafficIsRetiredAndHealthIsHealthyAgainWithNothingLost()
    {
        var cache = CreateCache();
        Assert.Equal(300, await cache.WarmCacheAsync(Numbered("k:", 300), Ttl, "t"));
        var onKilled = await CallerKeysOnNodeAsync(Killed, "t");
        Assert.True(onKilled.Count is > 0 and < 300, $"{onKilled.Count} of 300 keys on the killed primary.");
        await Cluster.WaitForReplicationAsync();

        var errors = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() => ReadLoopAsync(cache, Numbered("k:", 300).Select(p => p.Key).ToList(), "t", errors, stop.Token))).ToList();

        var (promotion, healthy) = await KillAndWaitForHealthyAsync(cache);
        await stop.CancelAsync();
        var reads = (await Task.WhenAll(readers)).Sum();
        output.WriteLine($"read-only: promotion {promotion.TotalSeconds:F2} s after the kill, Healthy {healthy.TotalSeconds:F2} s after the kill; {reads} reads during the failover");

        Assert.Empty(errors);
        Assert.Equal(1, Retired(cache));

        // Nothing was written or removed: every key reads back its value, through the cache and its statistics.
        foreach (var (key, value) in Numbered("k:", 300))
        {
            Assert.Equal(value, await cache.GetAsync<int?>(key, "t"));
        }

        Assert.Equal(300, (await cache.GetStatsAsync("t")).Size);
        Assert.True(cache.Health.Status == CacheHealthStatus.Healthy, Describe(cache));
    }

    [Fact]
    public async Task AKilledPrimaryUnderWritesServesNoValueOlderThanTheLastWriteAndLosesNothingWrittenAfter()
    {
        var cache = CreateCache();
        Assert.Equal(300, await cache.WarmCacheAsync(Numbered("k:", 300).Select(p => KeyValuePair.Create(p.Key, 1)), Ttl, "t"));
        await Cluster.WaitForReplicationAsync();
        var errors = new ConcurrentQueue<Exception>();
        var acknowledged = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();

        // Every key is overwritten with 2 from the moment of the kill on: whatever the cluster held before (1) must
        // never be read again, even for the keys whose overwrite the dead primary did not take.
        var replica = await Cluster.ReplicaOfAsync(Killed);
        await Cluster.Nodes[Killed].KillAsync();
        var killedAt = Stopwatch.StartNew();
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var (key, _) in Numbered("k:", 300))
                {
                    if (await NodeOutageTests.Guard(errors, () => cache.SetAsync(key, 2, Ttl, "t").AsTask()))
                    {
                        acknowledged[key] = 2;
                    }
                }
            }
        });

        var promotion = await Cluster.WaitForPromotionAsync(replica, [Killed]);
        await EventuallyAsync(() => cache.Health.Status == CacheHealthStatus.Healthy, HealthyBound, "the cache is Healthy after the promotion");
        var healthy = killedAt.Elapsed;
        await stop.CancelAsync();
        await writer;
        output.WriteLine($"writes: promotion {promotion.TotalSeconds:F2} s, Healthy {healthy.TotalSeconds:F2} s after the kill; {acknowledged.Count} keys acknowledged");

        Assert.Empty(errors);
        var reader = await ConnectedReaderAsync();
        foreach (var (key, _) in Numbered("k:", 300))
        {
            var value = await cache.GetAsync<int?>(key, "t");
            Assert.True(value is null or 2, $"{key} read {value} through the cache that wrote 2 over it.");
            Assert.True(await reader.GetAsync<int?>(key, "t") is null or 2, $"{key} holds the value written before the kill.");
        }

        // Written now that the cache is healthy: every one is kept.
        var written = await cache.WarmCacheAsync(Numbered("k:", 300).Select(p => KeyValuePair.Create(p.Key, 3)), Ttl, "t");
        Assert.True(written == 300, $"{written} of 300 writes taken after the cache was Healthy: {cache.Health.LastError}; {Describe(cache)}");
        foreach (var (key, _) in Numbered("k:", 300))
        {
            Assert.Equal(3, await reader.GetAsync<int?>(key, "t"));
        }
    }

    [Fact]
    public async Task RemovalsMadeWhileThePrimaryIsDownAreNeverReadBackAfterThePromotion()
    {
        var cache = CreateCache();
        Assert.Equal(300, await cache.WarmCacheAsync(Numbered("k:", 300), Ttl, "t"));
        Assert.Equal(150, await cache.WarmCacheAsync(Numbered("k:", 150), Ttl, "u"));
        var onKilled = await CallerKeysOnNodeAsync(Killed, "t");
        var deleted = onKilled.First(key => !key.StartsWith("k:1", StringComparison.Ordinal));
        await Cluster.WaitForReplicationAsync();
        var errors = new ConcurrentQueue<Exception>();

        var replica = await Cluster.ReplicaOfAsync(Killed);
        await Cluster.Nodes[Killed].KillAsync();
        var killedAt = Stopwatch.StartNew();
        await NodeOutageTests.Guard(errors, () => cache.DeleteAsync(deleted, "t").AsTask());
        var invalidated = await NodeOutageTests.Guard(errors, () => cache.InvalidateAsync("k:1*", "t").AsTask());
        await NodeOutageTests.Guard(errors, () => cache.ClearAsync("u").AsTask());
        var madeBeforePromotion = await Cluster.RoleAsync(replica) == "slave";

        var removed = Numbered("k:", 300).Select(p => p.Key).Where(key => key == deleted || key.StartsWith("k:1", StringComparison.Ordinal)).ToList();
        var kept = Numbered("k:", 300).Select(p => p.Key).Except(removed).ToList();

        // From the promotion on, read every removed key again and again until the cache is healthy: none may be served.
        var promotion = await Cluster.WaitForPromotionAsync(replica, [Killed]);
        var stale = new List<string>();
        var deadline = DateTime.UtcNow + HealthyBound;
        do
        {
            foreach (var key in removed)
            {
                if (await NodeOutageTests.Guard(errors, () => cache.GetAsync<int?>(key, "t").AsTask()) is { } value)
                {
                    stale.Add($"{key}={value}");
                }
            }

            foreach (var key in Numbered("k:", 150).Select(p => p.Key))
            {
                if (await NodeOutageTests.Guard(errors, () => cache.GetAsync<int?>(key, "u").AsTask()) is { } value)
                {
                    stale.Add($"u/{key}={value}");
                }
            }
        }
        while (cache.Health.Status != CacheHealthStatus.Healthy && DateTime.UtcNow < deadline);

        output.WriteLine($"removals during the outage (made before the promotion: {madeBeforePromotion}; invalidation returned {invalidated}): promotion {promotion.TotalSeconds:F2} s, Healthy {killedAt.Elapsed.TotalSeconds:F2} s after the kill");
        Assert.Empty(errors);
        Assert.True(stale.Count == 0, $"{stale.Count} removed value(s) served after the promotion: {string.Join(", ", stale.Take(10))}");
        Assert.Equal(CacheHealthStatus.Healthy, cache.Health.Status);

        // On the servers: nothing removed is left, nothing else was removed.
        Assert.Empty(await KeysAsync(Namespace("u")));
        var left = (await KeysAsync(Namespace("t"))).Select(key => key[Namespace("t").Length..]).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(removed, left.Contains);
        Assert.Equal(kept.Count, left.Count);
    }

    [Fact]
    public async Task WalksRightAfterThePromotionCountExactly()
    {
        var cache = CreateCache();
        Assert.Equal(889, await cache.WarmCacheAsync(Numbered("k:", 889), Ttl, "t"));
        Assert.Equal(111, await cache.WarmCacheAsync(Numbered("inv:", 111), Ttl, "t"));
        Assert.True((await CallerKeysOnNodeAsync(Killed, "t")).Count > 0);
        await Cluster.WaitForReplicationAsync();

        var replica = await Cluster.ReplicaOfAsync(Killed);
        await Cluster.Nodes[Killed].KillAsync();
        await Cluster.WaitForPromotionAsync(replica, [Killed]);

        // At once: the client may still take the promoted node for a replica, the cache may not have read the cluster yet.
        Assert.Equal(1000, (await cache.GetStatsAsync("t")).Size);
        Assert.Equal(111, await cache.InvalidateAsync("inv:*", "t"));
        Assert.Equal(889, (await cache.GetStatsAsync("t")).Size);
        Assert.Equal(889, await cache.ClearAsync("t"));
        Assert.Empty(await KeysAsync(Namespace("t")));
        Assert.Null(await cache.GetAsync<int?>("k:5", "t"));
        await EventuallyAsync(() => cache.Health.Status == CacheHealthStatus.Healthy, HealthyBound, "the cache is Healthy after walks over the promoted primary");
        Assert.Equal(1, Retired(cache));
    }

    [Fact]
    public async Task TheOldPrimaryRejoiningAsAReplicaReplaysNothingAndLosesNothingWrittenAfterTheClears()
    {
        var cache = CreateCache();
        Assert.Equal(300, await cache.WarmCacheAsync(Numbered("k:", 300), Ttl, "a"));
        Assert.Equal(300, await cache.WarmCacheAsync(Numbered("k:", 300), Ttl, "b"));
        await Cluster.WaitForReplicationAsync();
        var errors = new ConcurrentQueue<Exception>();

        // One clear while the primary is down (its share journaled), one after the promotion (over the new primaries).
        var replica = await Cluster.ReplicaOfAsync(Killed);
        await Cluster.Nodes[Killed].KillAsync();
        await NodeOutageTests.Guard(errors, () => cache.ClearAsync("a").AsTask());
        await Cluster.WaitForPromotionAsync(replica, [Killed]);
        Assert.Equal(300, await NodeOutageTests.Guard(errors, () => cache.ClearAsync("b").AsTask()));
        await EventuallyAsync(() => cache.Health.Status == CacheHealthStatus.Healthy, HealthyBound, "the cache is Healthy after the promotion");

        Assert.Equal(500, await cache.WarmCacheAsync(Numbered("new:", 500), Ttl, "a"));
        Assert.Equal(500, await cache.WarmCacheAsync(Numbered("new:", 500), Ttl, "b"));

        await Cluster.Nodes[Killed].RestartAsync();
        await Cluster.WaitUntilReplicaAsync(Killed);
        await Cluster.WaitForReplicationAsync();

        // The rejoined node answers again: give any recovery a chance to (wrongly) replay on it, then read.
        await cache.GetStatsAsync("a");
        await EventuallyAsync(() => cache.Health.Status == CacheHealthStatus.Healthy, HealthyBound, "the cache is Healthy with the old primary back as a replica");
        Assert.Empty(errors);
        Assert.Equal(1, Retired(cache));
        foreach (var tenant in new[] { "a", "b" })
        {
            Assert.Equal(500, (await KeysAsync(Namespace(tenant))).Count);
            Assert.Equal(500, (await cache.GetStatsAsync(tenant)).Size);
            foreach (var (key, value) in Numbered("new:", 500))
            {
                Assert.Equal(value, await cache.GetAsync<int?>(key, tenant));
            }
        }
    }

    [Fact]
    public async Task AManualFailoverRetiresTheOldPrimaryAndKeepsEveryPromise()
    {
        var cache = CreateCache();
        Assert.Equal(300, await cache.WarmCacheAsync(Numbered("k:", 300), Ttl, "t"));
        await Cluster.WaitForReplicationAsync();
        var errors = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var keys = Numbered("k:", 300).Select(p => p.Key).ToList();
        var reader = Task.Run(() => ReadLoopAsync(cache, keys, "t", errors, stop.Token));

        var replica = await Cluster.ReplicaOfAsync(Killed);
        var took = await Cluster.FailoverAsync(replica);
        Assert.Equal("slave", await Cluster.RoleAsync(Killed));
        await stop.CancelAsync();
        await reader;

        // A walk right after: it reads the cluster's view first, so it walks the promoted primary and counts exactly.
        var onPromoted = await CallerKeysOnNodeAsync(replica, "t");
        Assert.NotEmpty(onPromoted);
        var deleted = onPromoted.First(key => !key.StartsWith("k:2", StringComparison.Ordinal));
        Assert.Equal(keys.Count(key => key.StartsWith("k:2", StringComparison.Ordinal)), await cache.InvalidateAsync("k:2*", "t"));

        // A delete of a key the promoted primary holds is never read back (whether the client had already learned the
        // new roles, or the delete was journaled and handed to the new primary).
        await cache.DeleteAsync(deleted, "t");
        Assert.Null(await cache.GetAsync<int?>(deleted, "t"));
        await EventuallyAsync(() => cache.Health.Status == CacheHealthStatus.Healthy, HealthyBound, "the cache is Healthy after the manual failover");
        var expectedSize = keys.Count(key => !key.StartsWith("k:2", StringComparison.Ordinal)) - 1;
        Assert.Equal(expectedSize, (await cache.GetStatsAsync("t")).Size);
        Assert.Equal(expectedSize, (await KeysAsync(Namespace("t"))).Count);

        await EventuallyAsync(() => Retired(cache) == 1, Patience, "the old primary is retired");
        Assert.Equal(CacheHealthStatus.Healthy, cache.Health.Status);
        Assert.Empty(errors);
        output.WriteLine($"manual failover: {took.TotalSeconds:F2} s");
        foreach (var key in keys)
        {
            var expected = key == deleted || key.StartsWith("k:2", StringComparison.Ordinal) ? (int?)null : int.Parse(key[2..], CultureInfo.InvariantCulture);
            Assert.Equal(expected, await cache.GetAsync<int?>(key, "t"));
        }
    }

    [Fact]
    public async Task UnderTheTwoLevelCacheTwoInstancesStayCoherentAndServeLocallyAgainAfterAFailover()
    {
        // The backplane's channel on the primary that is killed, so the instances' subscriptions must move to the
        // promoted replica (with a prefix picked at random, only a third of the runs would test that).
        _prefix = PrefixWithChannelOn(Killed);
        var logsA = new Recovery.RecordingLoggerFactory();
        var logsB = new Recovery.RecordingLoggerFactory();
        var a = CreateCache(config =>
        {
            config.EnableLocalLevel = true;
            config.LoggerFactory = logsA;
        });
        var b = CreateCache(config =>
        {
            config.EnableLocalLevel = true;
            config.LoggerFactory = logsB;
        });
        const int Keys = 60;
        for (var i = 0; i < Keys; i++)
        {
            Assert.True(await a.SetAsync($"k:{i}", "old", Ttl, "t"));
        }

        var onKilled = await CallerKeysOnNodeAsync(Killed, "t");
        Assert.NotEmpty(onKilled);
        await Cluster.WaitForReplicationAsync();

        // B serves every key locally before the failover.
        await EventuallyAsync(() => AllLocal(b, Keys, "old"), Patience, "B serves every key from its local level");

        var replica = await Cluster.ReplicaOfAsync(Killed);
        await Cluster.Nodes[Killed].KillAsync();
        var killedAt = Stopwatch.StartNew();
        await Cluster.WaitForPromotionAsync(replica, [Killed]);
        await EventuallyAsync(() => a.Health.Status == CacheHealthStatus.Healthy && b.Health.Status == CacheHealthStatus.Healthy, HealthyBound, "both instances are Healthy after the promotion");
        output.WriteLine($"two-level: both Healthy {killedAt.Elapsed.TotalSeconds:F2} s after the kill");

        // A overwrites every key, the promoted primary's among them: B never serves "old" again, and serves "new"
        // from its local level once the overwrites' announcements are in. Healthy says the cluster view has the new
        // primary, not that the client's connection to the dead one is gone: a write in that moment can still be
        // refused (false, a delete journaled, nothing stale: the write contract), so a refused write is written
        // again until stored, within the patience, as a caller would. Seen once in a full run (SETEX InternalFailure).
        var refused = 0;
        for (var i = 0; i < Keys; i++)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (!await a.SetAsync($"k:{i}", "new", Ttl, "t"))
            {
                refused++;
                Assert.True(DateTime.UtcNow < deadline, $"k:{i} was not written within {Patience.TotalSeconds} s: {a.Health.LastError}; {Describe(a)}");
                await Task.Delay(20);
            }
        }

        output.WriteLine($"two-level: {refused} write(s) refused right after Healthy");

        for (var i = 0; i < Keys; i++)
        {
            Assert.Equal("new", await b.GetAsync<string>($"k:{i}", "t"));
        }

        await EventuallyAsync(() => AllLocal(b, Keys, "new"), Patience, "B serves every key from its local level again", () => DescribeLocal(b, logsB));
        await EventuallyAsync(() => AllLocal(a, Keys, "new"), Patience, "A serves every key from its local level again", () => DescribeLocal(a, logsA));
        output.WriteLine($"two-level: A {DescribeLocal(a, logsA)}");
        output.WriteLine($"two-level: B {DescribeLocal(b, logsB)}");
    }

    [Fact]
    public async Task TheBackplaneFindsItsChannelOnThePromotedReplicaWhenItsClientReadTheClusterBeforeThePromotion()
    {
        // The channel on the primary that is killed; the backplane's client re-reads the cluster right after the kill,
        // before the promotion, so the view it holds names the dead node as the channel's. The backplane re-reads it
        // when its subscription cannot be proven (the client's own periodic check is once a minute) and serves
        // locally again soon after the promotion. Measured: proven again 2.6 s after the promotion.
        _prefix = PrefixWithChannelOn(Killed);
        var logs = new Recovery.RecordingLoggerFactory();
        var cache = CreateCache(config =>
        {
            config.EnableLocalLevel = true;
            config.LoggerFactory = logs;
        });
        var level = cache.LocalLevel!;

        // The constructor waits for the first proof only ConnectTimeout (5 s); a busy machine can take longer.
        await EventuallyAsync(() => level.Backplane.IsConfirmed, Patience, "the subscription is proven before the kill", () => DescribeLocal(cache, logs));
        var multiplexer = ((Motadata.Cache.Stores.Tiers.TwoLevel.Backplane)level.Backplane.Transport).Multiplexer;

        var replica = await Cluster.ReplicaOfAsync(Killed);
        await Cluster.Nodes[Killed].KillAsync();
        await EventuallyAsync(() => !level.Backplane.IsConfirmed, Patience, "the backplane notices its subscription is gone", () => DescribeLocal(cache, logs));
        await multiplexer.ConfigureAsync();
        await Cluster.WaitForPromotionAsync(replica, [Killed]);
        var promoted = Stopwatch.StartNew();

        await EventuallyAsync(() => level.Backplane.IsConfirmed, TimeSpan.FromSeconds(30), "the subscription is proven again on the promoted replica", () => DescribeLocal(cache, logs));
        output.WriteLine($"proven again {promoted.Elapsed.TotalSeconds:F2} s after the promotion");
        Assert.True(((Motadata.Cache.Stores.Tiers.TwoLevel.Backplane)level.Backplane.Transport).RouteRefreshes > 0, "the backplane re-read the cluster's routes while it could not prove its subscription");
        await EventuallyAsync(() => cache.Health.Status == CacheHealthStatus.Healthy, HealthyBound, "the cache is Healthy after the promotion");
        for (var i = 0; i < 20; i++)
        {
            Assert.True(await cache.SetAsync($"k:{i}", "v", Ttl, "t"));
        }

        await EventuallyAsync(() => AllLocal(cache, 20, "v"), Patience, "the cache serves every key from its local level", () => DescribeLocal(cache, logs));
    }

    /// <summary>Why a cache may not serve locally: its local level's state, its health and what it logged.</summary>
    private static string DescribeLocal(CacheMechanism cache, Recovery.RecordingLoggerFactory logs)
    {
        var level = cache.LocalLevel!;
        var lines = logs.Lines.Where(line => line.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).ToList();
        var last = lines.TakeLast(20).Select(line => $"{line.Category}: {line.Message}");
        return $"serving {level.IsServing}, subscription proven {level.Backplane.IsConfirmed}, {Describe(cache)}, last error {cache.Health.LastError}; {lines.Count} warning(s) logged, the last: {string.Join(" | ", last)}";
    }

    /// <summary>A key prefix whose backplane channel (<c>{prefix}backplane</c>, sharded) hashes to a slot node <paramref name="index"/> serves.</summary>
    private string PrefixWithChannelOn(int index)
    {
        var owner = Cluster.Nodes[index].EndPoint;
        var configuration = _raw!.GetServer(owner).ClusterConfiguration!;
        for (var tries = 0; tries < 1000; tries++)
        {
            var prefix = RedisClusterFixture.UniquePrefix("failover");
            if (configuration.GetBySlot(_raw.HashSlot(prefix + "backplane"))?.EndPoint?.ToString() == owner.ToString())
            {
                return prefix;
            }
        }

        throw new InvalidOperationException($"No prefix of 1,000 put the backplane's channel on {owner}.");
    }

    private static bool AllLocal(CacheMechanism cache, int keys, string expected)
    {
        var before = cache.GetStats("t").LocalHits;
        var all = Enumerable.Range(0, keys).All(i => cache.Get<string>($"k:{i}", "t") == expected);
        return all && cache.GetStats("t").LocalHits == before + keys;
    }

    /// <summary>Kills the primary, waits for its replica's promotion and then for the cache to be Healthy; times from the kill.</summary>
    private async Task<(TimeSpan Promotion, TimeSpan Healthy)> KillAndWaitForHealthyAsync(CacheMechanism cache)
    {
        var replica = await Cluster.ReplicaOfAsync(Killed);
        await Cluster.Nodes[Killed].KillAsync();
        var killedAt = Stopwatch.StartNew();
        await Cluster.WaitForPromotionAsync(replica, [Killed]);
        var promotion = killedAt.Elapsed;
        await EventuallyAsync(() => cache.Health.Status == CacheHealthStatus.Healthy, HealthyBound, "the cache is Healthy after the promotion");
        return (promotion, killedAt.Elapsed);
    }

    private static string Describe(CacheMechanism cache) => $"health {cache.Health.Status}: {((ClusterStore)cache.RecoveryState!).DescribeNodes()}";

    private static int Retired(CacheMechanism cache) => ((ClusterStore)cache.RecoveryState!).RetiredPrimaries;

    private CacheMechanism CreateCache(Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = Cluster.Url,
            KeyPrefix = _prefix,
            OperationTimeout = TimeSpan.FromSeconds(2),
            RecoveryBreakDuration = TimeSpan.FromMilliseconds(500),
        };
        configure?.Invoke(config);
        var cache = new CacheMechanism(config);
        _caches.Add(cache);
        return cache;
    }

    /// <summary>
    /// A cache with recovery off that has answered once. A client created while the cluster still lists the killed node
    /// can fail to connect (it waits <c>ConnectTimeout</c> for that node: docs/scale-out.md), so a new one is made until
    /// one answers, within a generous deadline.
    /// </summary>
    private async Task<CacheMechanism> ConnectedReaderAsync()
    {
        var deadline = DateTime.UtcNow + HealthyBound;
        while (true)
        {
            var reader = CreateCache(config => config.EnableRecovery = false);
            try
            {
                await reader.GetAsync<int?>("reader-probe", "t");
                return reader;
            }
            catch (CacheBackendException exception) when (DateTime.UtcNow < deadline)
            {
                output.WriteLine($"a reader made after the kill could not connect yet: {exception.Message}");
            }
        }
    }

    private string Namespace(string tenantId) => RedisClusterFixture.ServerKey(_prefix, tenantId, string.Empty);

    /// <summary>The caller keys of <paramref name="tenantId"/> that node <paramref name="index"/> holds now.</summary>
    private async Task<List<string>> CallerKeysOnNodeAsync(int index, string tenantId)
    {
        var prefix = Namespace(tenantId);
        var keys = new List<string>();
        await foreach (var key in _raw!.GetServer(Cluster.Nodes[index].EndPoint).KeysAsync(pattern: Motadata.Cache.Keys.GlobPattern.Escape(prefix) + "*", pageSize: 1000))
        {
            keys.Add(((string)key!)[prefix.Length..]);
        }

        return keys;
    }

    /// <summary>Every server key starting with <paramref name="prefix"/> on the nodes that are primaries now (asked of the nodes themselves).</summary>
    private async Task<List<string>> KeysAsync(string prefix)
    {
        var keys = new List<string>();
        for (var i = 0; i < Cluster.Nodes.Count; i++)
        {
            if (Cluster.Nodes[i].ProcessId is null || await Cluster.RoleAsync(i) != "master")
            {
                continue;
            }

            await foreach (var key in _raw!.GetServer(Cluster.Nodes[i].EndPoint).KeysAsync(pattern: Motadata.Cache.Keys.GlobPattern.Escape(prefix) + "*", pageSize: 1000))
            {
                keys.Add(key!);
            }
        }

        return keys;
    }

    private static async Task<long> ReadLoopAsync(CacheMechanism cache, List<string> keys, string tenantId, ConcurrentQueue<Exception> errors, CancellationToken stop)
    {
        long reads = 0;
        while (!stop.IsCancellationRequested)
        {
            foreach (var key in keys)
            {
                var value = await NodeOutageTests.Guard(errors, () => cache.GetAsync<int?>(key, tenantId).AsTask());
                if (value is { } found && found != int.Parse(key[2..], CultureInfo.InvariantCulture))
                {
                    errors.Enqueue(new InvalidOperationException($"{key} read {found}"));
                }

                reads++;
            }
        }

        return reads;
    }

    private static IEnumerable<KeyValuePair<string, int>> Numbered(string keyStart, int count) =>
        Enumerable.Range(0, count).Select(i => KeyValuePair.Create($"{keyStart}{i}", i));

    private static async Task EventuallyAsync(Func<bool> condition, TimeSpan patience, string what, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail($"Timed out after {patience.TotalSeconds} s waiting until {what}.{(describe is null ? string.Empty : " " + describe())}");
            }

            await Task.Delay(20);
        }
    }
}
