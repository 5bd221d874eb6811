namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// The seed's sharding settings (<c>EnableSharding = true, ShardCount = 16</c>) are accepted wherever the cache runs:
/// the memory backend, one Dragonfly server (the server's own sharding, see
/// <see cref="Dragonfly.DragonflySharedCacheTests"/>) and a Redis Cluster (the cluster's, see
/// <see cref="ClusterPlacementTests"/>). <see cref="CacheConfig.ShardCount"/> is checked against the hosts only over
/// several independent servers, where it can be wrong, with the one <see cref="ArgumentException"/> that names every bad
/// placement setting.
/// </summary>
public sealed class ShardingConfigurationTests
{
    // Nothing listens there: the hosts do not answer as a cluster, so they are taken as independent servers.
    private const string OneHost = "dragonfly://127.0.0.1:1";
    private const string ThreeHosts = "dragonfly://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3";

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(1024)]
    public void WhenShardingIsOnWithOneDragonflyHostAnyShardCountIsAccepted(int shardCount)
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = OneHost, EnableSharding = true, ShardCount = shardCount };

        config.Validate();
        using var cache = new CacheMechanism(config);

        // One server is its own sharding: the cache talks to it as without EnableSharding (recovery turns the dead
        // server into a miss, where a sharded store would have refused one host).
        Assert.Null(cache.Get<string>("k"));
        Assert.Empty(cache.NodeHealth);
        Assert.True(cache.Config.EnableSharding);
    }

    [Fact]
    public void WhenTheSeedsShardingSettingsMeetTheMemoryBackendTheyAreAcceptedWhateverMaxSize()
    {
        using var cache = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Memory, EnableSharding = true, ShardCount = 16, MaxSize = 10 });

        Assert.True(cache.Set("k", "v"));
        Assert.Equal("v", cache.Get<string>("k"));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(16)]
    public void WhenShardCountDiffersFromTheNumberOfIndependentServersTheCacheIsRefusedNamingBoth(int shardCount)
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = ThreeHosts, EnableSharding = true, ShardCount = shardCount };

        var error = Assert.Throws<ArgumentException>(() => new CacheMechanism(config));

        Assert.Equal("config", error.ParamName);
        Assert.Contains($"ShardCount is {shardCount}", error.Message, StringComparison.Ordinal);
        Assert.Contains("DragonflyUrl names 3 independent servers", error.Message, StringComparison.Ordinal);
        Assert.Contains("ShardCount must be 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenShardCountMatchesTheIndependentServersTheCacheIsBuiltOverThem()
    {
        using var cache = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = ThreeHosts, EnableSharding = true, ShardCount = 3 });

        // Three shards, each with its own recovery: the dead servers are misses, and the health names all three.
        Assert.Null(cache.Get<string>("k"));
        Assert.Equal(3, cache.NodeHealth.Count);
    }

    [Fact]
    public void WhenShardCountAndTheLocalLevelBothContradictIndependentServersOneExceptionNamesBoth()
    {
        var config = new CacheConfig
        {
            Backend = CacheBackend.Dragonfly,
            DragonflyUrl = ThreeHosts,
            EnableSharding = true,
            ShardCount = 2,
            LocalLevel = new LocalLevelOptions(),
        };

        var error = Assert.Throws<ArgumentException>(() => new CacheMechanism(config));

        Assert.Contains("ShardCount is 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("LocalLevel is set with EnableSharding", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Message.Split('\n').Count(line => line.StartsWith("- ", StringComparison.Ordinal)));
    }

    [Fact]
    public void WhenAnotherSettingIsBadTheCacheIsRefusedBeforeAnyHostIsAsked()
    {
        // ShardCount is out of range everywhere, so it is caught by Validate with the rest, before connecting.
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = ThreeHosts, EnableSharding = true, ShardCount = 0, MaxKeyLength = 0 };

        var error = Assert.Throws<ArgumentException>(config.Validate);

        Assert.Contains("ShardCount is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxKeyLength is 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenShardingIsOffSeveralHostsAndAnyShardCountAreAccepted()
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = ThreeHosts, EnableSharding = false, ShardCount = 7 };

        config.Validate();
    }
}
