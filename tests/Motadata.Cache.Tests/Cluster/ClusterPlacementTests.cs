using Motadata.Cache.Tests.Infrastructure;

namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// <see cref="TenantPlacement.CoLocated"/> on a cluster: every key of a tenant in one slot (a hash tag), so on one
/// node, and the cross-node operations still exact; and the seed's sharding settings meaning the cluster's own sharding.
/// </summary>
public sealed class ClusterPlacementTests(RedisClusterFixture fixture) : MultiNodeTestsBase(fixture), IClassFixture<RedisClusterFixture>
{
    private static readonly TimeSpan s_ttl = TimeSpan.FromHours(1);

    [Fact]
    public async Task WhenTenantsAreCoLocatedAllOfATenantsKeysAreOnOneNode()
    {
        var cache = CreateCache(config => config.TenantPlacement = TenantPlacement.CoLocated);
        var nodesUsed = new HashSet<int>();
        for (var t = 0; t < 12; t++)
        {
            var tenant = $"tenant-{t}";
            Assert.Equal(500, await cache.WarmCacheAsync(Numbered("k:", 500), s_ttl, tenant));

            var counts = await fixture.CountPerNodeAsync(NamespacePrefix(tenant, placement: TenantPlacement.CoLocated));
            Assert.True(counts.Count(count => count > 0) == 1 && counts.Sum() == 500, $"{tenant}'s 500 keys are spread: {string.Join(", ", counts)}.");
            nodesUsed.Add(Array.FindIndex(counts, count => count > 0));

            var stats = await cache.GetStatsAsync(tenant);
            Assert.Equal(500, stats.Size);
            Assert.Equal(500, stats.Nodes.Max(node => node.Size));
        }

        // Tenants as a whole still use the cluster (the slots of 12 tenant tags fall on more than one node).
        Assert.True(nodesUsed.Count > 1, "Every co-located tenant landed on the same node.");
        Assert.Equal(12 * 500, (await cache.GetStatsAsync()).Size);
        Assert.Equal(111, await cache.InvalidateAsync("k:1*", "tenant-3"));
        Assert.Equal(500, await cache.ClearAsync("tenant-4"));
        Assert.Equal((12 * 500) - 111 - 500, await CountAsync(KeyPrefix));
    }

    [Fact]
    public async Task WhenSpreadAndCoLocatedCachesShareAClusterTheirKeysNeverMeet()
    {
        var spread = CreateCache();
        var coLocated = CreateCache(config => config.TenantPlacement = TenantPlacement.CoLocated);

        Assert.True(await spread.SetAsync("k", "spread", s_ttl, "t"));
        Assert.True(await coLocated.SetAsync("k", "co-located", s_ttl, "t"));

        Assert.Equal("spread", await spread.GetAsync<string>("k", "t"));
        Assert.Equal("co-located", await coLocated.GetAsync<string>("k", "t"));
        Assert.Equal(1, await spread.ClearAsync("t"));
        Assert.Equal("co-located", await coLocated.GetAsync<string>("k", "t"));
    }

    [Fact]
    public async Task WhenTheSeedsShardingSettingsMeetAClusterTheClusterShardsTheKeys()
    {
        // The seed's enable_sharding with its default shard_count, against every node of the cluster in the URL: the
        // cluster's own sharding (by slot), not rendezvous placement over its nodes, and ShardCount is not checked.
        var cache = CreateCache(config =>
        {
            config.EnableSharding = true;
            config.ShardCount = 16;
        });

        Assert.Equal(300, await cache.WarmCacheAsync(Numbered("k:", 300), s_ttl, "t"));

        var counts = await fixture.CountPerNodeAsync(NamespacePrefix("t"));
        Assert.Equal(300, counts.Sum());
        Assert.True(counts.Count(count => count > 0) > 1, $"The keys are not spread over the primaries: {string.Join(", ", counts)}.");
        Assert.Equal(7, await cache.GetAsync<int>("k:7", "t"));
        Assert.Equal(300, (await cache.GetStatsAsync("t")).Size);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WhenReadBatchingMeetsAClusterTheCacheSaysOnceThatReadsGoAloneAndOnlyIfItWasAskedFor(bool batching)
    {
        // One MGET must stay in one slot, so a cluster is not batched: no longer in silence.
        var logs = new Recovery.RecordingLoggerFactory();
        var cache = CreateCache(config =>
        {
            config.LoggerFactory = logs;
            config.ReadBatching = batching ? new ReadBatchingOptions() : null;
        });

        Assert.True(await cache.SetAsync("k", "v", s_ttl, "t"));
        Assert.Equal("v", await cache.GetAsync<string>("k", "t"));

        var said = logs.Lines.Where(line => line.EventId.Id == 5 && line.Message.Contains("Read batching", StringComparison.Ordinal)).ToList();
        Assert.Equal(batching ? 1 : 0, said.Count);
        Assert.All(said, line => Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, line.Level));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WhenTheUrlSelectsADatabaseOtherThanZeroOnAClusterTheCacheIsRefused(bool recovery)
    {
        var config = new CacheConfig();
        fixture.Configure(config);
        config.DragonflyUrl += "/2";
        config.EnableRecovery = recovery;

        var error = Assert.Throws<ArgumentException>(() => new CacheMechanism(config));

        Assert.Contains("database 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("only database 0", error.Message, StringComparison.Ordinal);
    }
}
