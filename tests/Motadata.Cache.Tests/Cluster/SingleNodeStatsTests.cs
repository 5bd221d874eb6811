using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.Cluster;

/// <summary><see cref="CacheStats.Nodes"/> outside a cluster: one entry on a single Dragonfly server, none on memory.</summary>
public sealed class SingleNodeStatsTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task OnOneServerStatsListThatServerWithTheWholeShare()
    {
        var config = new CacheConfig { KeyPrefix = RedisServerFixture.UniquePrefix("nodes") };
        fixture.Configure(config);
        await using var cache = new CacheMechanism(config);
        Assert.Equal(50, await cache.WarmCacheAsync(Enumerable.Range(0, 50).Select(i => KeyValuePair.Create($"k{i}", i)), TimeSpan.FromHours(1), "t"));

        foreach (var stats in new[] { await cache.GetStatsAsync("t"), await cache.GetStatsAsync() })
        {
            var node = Assert.Single(stats.Nodes);
            Assert.Equal(fixture.Server.EndPoint, node.Endpoint);
            Assert.Equal(50, node.Size);
            Assert.Equal(stats.Size, node.Size);
            Assert.Equal(stats.MemoryUsage, node.MemoryUsage);
            Assert.True(node.MemoryUsage > 0);
        }
    }

    [Fact]
    public void OnTheMemoryBackendStatsListNoNode()
    {
        using var cache = new CacheMechanism(new CacheConfig());
        Assert.True(cache.Set("k", "v", tenantId: "t"));

        Assert.Empty(cache.GetStats().Nodes);
        Assert.Empty(cache.GetStats("t").Nodes);
        Assert.Equal(1, cache.GetStats("t").Size);
    }
}
