namespace Motadata.Cache.Tests.Cluster;

/// <summary>
/// Sharding over independent servers is refused when the settings contradict each other, before anything connects,
/// with the one <see cref="ArgumentException"/> that names every bad setting.
/// </summary>
public sealed class ShardingConfigurationTests
{
    // Nothing listens there: validation must refuse the settings before any connection is tried.
    private const string OneHost = "dragonfly://127.0.0.1:1";
    private const string ThreeHosts = "dragonfly://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3";

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public void WhenShardingIsOnWithOneDragonflyHostTheCacheIsRefusedNamingTheSettings(int shardCount)
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = OneHost, EnableSharding = true, ShardCount = shardCount };

        var error = Assert.Throws<ArgumentException>(() => new CacheMechanism(config));

        Assert.Contains("EnableSharding", error.Message, StringComparison.Ordinal);
        Assert.Contains("DragonflyUrl", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(config.Validate);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(16)]
    public void WhenShardCountDiffersFromTheNumberOfHostsTheCacheIsRefusedNamingBoth(int shardCount)
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = ThreeHosts, EnableSharding = true, ShardCount = shardCount };

        var error = Assert.Throws<ArgumentException>(() => new CacheMechanism(config));

        Assert.Contains($"ShardCount is {shardCount}", error.Message, StringComparison.Ordinal);
        Assert.Contains("DragonflyUrl", error.Message, StringComparison.Ordinal);
        Assert.Contains("3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenShardingContradictsTheUrlAndAnotherSettingIsBadOneExceptionNamesBoth()
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = ThreeHosts, EnableSharding = true, ShardCount = 2, MaxKeyLength = 0 };

        var error = Assert.Throws<ArgumentException>(() => new CacheMechanism(config));

        Assert.Contains("ShardCount is 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxKeyLength is 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenShardingIsOffSeveralHostsAndAnyShardCountAreAccepted()
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = ThreeHosts, EnableSharding = false, ShardCount = 7 };

        config.Validate();
    }

    [Fact]
    public void OnTheMemoryBackendShardingSettingsAreNotCheckedAgainstAUrl()
    {
        using var cache = new CacheMechanism(new CacheConfig { Backend = CacheBackend.Memory, EnableSharding = true, ShardCount = 3, DragonflyUrl = OneHost });

        Assert.True(cache.Set("k", "v"));
        Assert.Equal("v", cache.Get<string>("k"));
    }
}
