using Microsoft.Extensions.Time.Testing;

namespace Motadata.Cache.Tests.Configuration;

public sealed class CacheConfigTests
{
    [Fact]
    public void WhenEverySettingIsLeftAtItsDefaultTheConfigIsAccepted()
    {
        var config = new CacheConfig();

        config.Validate();
        using var cache = new CacheMechanism(config);

        Assert.Equal(CacheBackend.Memory, config.Backend);
        Assert.Null(config.DragonflyUrl);
        Assert.Equal(10_000, config.MaxSize);
        Assert.Equal(TimeSpan.FromHours(1), config.Ttl);
        Assert.False(config.EnableSharding);
        Assert.Equal(16, config.ShardCount);
        Assert.True(config.EnableValidation);
        Assert.True(config.EnableRecovery);
        Assert.Equal(1024, config.MaxKeyLength);
        Assert.Null(config.MaxMemoryBytes);
        Assert.False(config.EnableLocalLevel);
        Assert.Equal(10_000, config.LocalMaxSize);
        Assert.Null(config.LocalMaxMemoryBytes);
        Assert.Equal(TimeSpan.FromMinutes(5), config.LocalMaxLifetime);
        Assert.Equal(CacheBackend.Memory, cache.Backend);
        Assert.Same(TimeProvider.System, cache.TimeProvider);
    }

    [Fact]
    public void WhenSeveralSettingsAreBadOneExceptionListsEveryOne()
    {
        var config = new CacheConfig
        {
            MaxSize = 0,
            Ttl = TimeSpan.Zero,
            EnableSharding = true,
            ShardCount = 0,
            MaxKeyLength = 0,
            MaxMemoryBytes = -1,
            MaxValueBytes = 0,
            KeyPrefix = string.Empty,
            OperationTimeout = TimeSpan.Zero,
            ConnectTimeout = TimeSpan.FromHours(1),
            ExpirationScanInterval = TimeSpan.FromSeconds(-1),
            RecoveryJournalCapacity = 0,
            RecoveryBreakDuration = TimeSpan.FromMilliseconds(10),
            RecoveryFallbackMaxSize = -1,
            RecoveryMaxReplayAttempts = 0,
            SigningKey = new byte[8],
        };

        var exception = Assert.Throws<ArgumentException>(() => new CacheMechanism(config));

        Assert.Equal("config", exception.ParamName);
        string[] named =
        [
            "MaxSize is 0", "Ttl is 00:00:00", "ShardCount is 0", "MaxKeyLength is 0", "MaxMemoryBytes is -1", "MaxValueBytes is 0",
            "KeyPrefix is empty", "OperationTimeout is 00:00:00", "ConnectTimeout is 01:00:00", "ExpirationScanInterval is -00:00:01",
            "RecoveryJournalCapacity is 0", "RecoveryBreakDuration is 00:00:00.0100000", "RecoveryFallbackMaxSize is -1", "SigningKey is 8 bytes",
            "RecoveryMaxReplayAttempts is 0",
        ];
        foreach (var text in named)
        {
            Assert.Contains(text, exception.Message, StringComparison.Ordinal);
        }

        Assert.Equal(named.Length, exception.Message.Split('\n').Count(line => line.StartsWith("- ", StringComparison.Ordinal)));
    }

    public static TheoryData<string, Action<CacheConfig>> BadSettings() => new()
    {
        { "MaxSize", c => c.MaxSize = -5 },
        { "RecoveryMaxReplayAttempts", c => c.RecoveryMaxReplayAttempts = 101 },
        { "Ttl", c => c.Ttl = TimeSpan.FromSeconds(-1) },
        { "Ttl", c => c.Ttl = TimeSpan.FromTicks(-9_999) },
        { "ShardCount", c => { c.EnableSharding = true; c.ShardCount = -1; } },
        { "ShardCount", c => { c.EnableSharding = true; c.ShardCount = 2000; c.MaxSize = 100_000; } },
        { "ShardCount", c => { c.EnableSharding = true; c.ShardCount = 20; c.MaxSize = 10; } },
        { "Backend", c => c.Backend = (CacheBackend)42 },
        { "DragonflyUrl", c => c.Backend = CacheBackend.Dragonfly },
        { "DragonflyUrl", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "   "; } },
        { "DragonflyUrl", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "http://localhost:6379"; } },
        { "ExpirationScanInterval", c => c.ExpirationScanInterval = TimeSpan.FromDays(100) },
        { "MaxMemoryBytes", c => c.MaxMemoryBytes = 0 },
        { "EnableLocalLevel", c => c.EnableLocalLevel = true },
        { "EnableLocalLevel", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "dragonfly://127.0.0.1:1,127.0.0.1:2"; c.EnableSharding = true; c.ShardCount = 2; c.EnableLocalLevel = true; } },
        { "LocalMaxSize", c => c.LocalMaxSize = 0 },
        { "LocalMaxMemoryBytes", c => c.LocalMaxMemoryBytes = -1 },
        { "LocalMaxLifetime", c => c.LocalMaxLifetime = TimeSpan.Zero },
        { "LocalMaxLifetime", c => c.LocalMaxLifetime = TimeSpan.FromDays(2) },
        { "EnableFleetSingleFlight", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "dragonfly://127.0.0.1:1"; c.EnableFleetSingleFlight = true; } },
        { "FleetLeaseDuration", c => c.FleetLeaseDuration = TimeSpan.FromMilliseconds(50) },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void WhenOneSettingIsBadConstructionThrowsAnArgumentExceptionNamingIt(string setting, Action<CacheConfig> spoil)
    {
        var config = new CacheConfig();
        spoil(config);

        var exception = Assert.Throws<ArgumentException>(() => new CacheMechanism(config));

        Assert.Contains(setting, exception.Message, StringComparison.Ordinal);
        Assert.Single(exception.Message.Split('\n'), line => line.StartsWith("- ", StringComparison.Ordinal));
    }

    [Fact]
    public void WhenShardingIsOffABadShardCountIsIgnored()
    {
        using var cache = new CacheMechanism(new CacheConfig { EnableSharding = false, ShardCount = 0 });

        Assert.True(cache.Set("k", 1));
    }

    [Fact]
    public void WhenTtlIsInfiniteTheConfigIsAccepted()
    {
        using var cache = new CacheMechanism(new CacheConfig { Ttl = Timeout.InfiniteTimeSpan });

        Assert.Equal(Timeout.InfiniteTimeSpan, cache.Config.Ttl);
    }

    [Fact]
    public void WhenATimeProviderIsGivenTheCacheUsesIt()
    {
        var time = new FakeTimeProvider();
        using var cache = new CacheMechanism(new CacheConfig { TimeProvider = time });

        Assert.Same(time, cache.TimeProvider);
    }

    [Fact]
    public void WhenTheConfigIsClonedTheCopyIsIndependent()
    {
        var config = new CacheConfig { MaxSize = 5, SigningKey = new byte[16], DragonflyUrl = "dragonfly://h" };

        var copy = config.Clone();
        config.MaxSize = 6;
        config.SigningKey[0] = 1;

        Assert.Equal(5, copy.MaxSize);
        Assert.Equal(0, copy.SigningKey![0]);
        Assert.Equal("dragonfly://h", copy.DragonflyUrl);
    }

    [Theory]
    [InlineData("dragonfly://user:s3cr3t-pw@localhost:6379")]
    [InlineData("rediss://:s3cr3t-pw@cache.example.com:6380/2")]
    [InlineData("redis://s3cr3t-pw@localhost")]
    [InlineData("dragonfly://user:s3cr3t-pw@h1:1,h2:2")]
    [InlineData("dragonfly://user:s3cr3t-pw@with@at@localhost")]
    public void WhenTheUrlHoldsAPasswordToStringNeverShowsIt(string url)
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = url };

        var text = config.ToString();

        Assert.DoesNotContain("s3cr3t", text, StringComparison.Ordinal);
        Assert.Contains("***", text, StringComparison.Ordinal);
        Assert.Contains("MaxSize=10000", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://user:s3cr3t-pw@localhost:6379")]
    [InlineData("dragonfly://user:s3cr3t-pw@")]
    [InlineData("dragonfly://user:s3cr3t-pw@localhost:99999")]
    [InlineData("dragonfly://user:s3cr3t-pw@localhost:6379/nope")]
    [InlineData("redis://:s3cr3t-pw@localhost:abc")]
    [InlineData("user:s3cr3t-pw@localhost:6379")]
    [InlineData("redis://:s3cr3t/pw@localhost:0")]
    [InlineData("redis://user:s3cr3t/pw@")]
    [InlineData("redis://:s3cr3t?pw@localhost:0")]
    [InlineData("redis://:s3cr3t#pw@localhost:0")]
    public void WhenABadUrlHoldsAPasswordTheExceptionNeverShowsIt(string url)
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = url };

        var exception = Assert.Throws<ArgumentException>(config.Validate);

        Assert.Contains("DragonflyUrl", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", config.ToString(), StringComparison.Ordinal);
    }
}
