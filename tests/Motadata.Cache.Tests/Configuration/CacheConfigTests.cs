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
        Assert.Equal(1024 * 1024, config.MaxValueBytes);
        Assert.Null(config.Memory);
        Assert.Null(config.Dragonfly);
        Assert.Null(config.Recovery);
        Assert.Null(config.Integrity);
        Assert.Null(config.LocalLevel);
        Assert.Equal(128, config.ReadBatching?.MaxKeys);
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
            MaxValueBytes = 0,
            Memory = new() { MaxMemoryBytes = -1, ExpirationScanInterval = TimeSpan.FromSeconds(-1) },
            Dragonfly = new() { KeyPrefix = string.Empty, OperationTimeout = TimeSpan.Zero, ConnectTimeout = TimeSpan.FromHours(1) },
            Recovery = new() { JournalCapacity = 0, BreakDuration = TimeSpan.FromMilliseconds(10), FallbackMaxSize = -1, MaxReplayAttempts = 0 },
            Integrity = new() { SigningKey = new byte[8] },
            ReadBatching = new() { MaxKeys = 0 },
        };

        var exception = Assert.Throws<ArgumentException>(() => new CacheMechanism(config));

        Assert.Equal("config", exception.ParamName);
        string[] named =
        [
            "MaxSize is 0", "Ttl is 00:00:00", "ShardCount is 0", "MaxKeyLength is 0", "Memory.MaxMemoryBytes is -1", "MaxValueBytes is 0",
            "Dragonfly.KeyPrefix is empty", "Dragonfly.OperationTimeout is 00:00:00", "Dragonfly.ConnectTimeout is 01:00:00",
            "Memory.ExpirationScanInterval is -00:00:01", "Recovery.JournalCapacity is 0", "Recovery.BreakDuration is 00:00:00.0100000",
            "Recovery.FallbackMaxSize is -1", "Integrity.SigningKey is 8 bytes", "Recovery.MaxReplayAttempts is 0", "ReadBatching.MaxKeys is 0",
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
        { "Recovery.MaxReplayAttempts", c => c.Recovery = new() { MaxReplayAttempts = 101 } },
        { "Ttl", c => c.Ttl = TimeSpan.FromSeconds(-1) },
        { "Ttl", c => c.Ttl = TimeSpan.FromTicks(-9_999) },
        { "ShardCount", c => { c.EnableSharding = true; c.ShardCount = -1; } },
        { "ShardCount", c => { c.EnableSharding = true; c.ShardCount = 2000; c.MaxSize = 100_000; } },
        { "Backend", c => c.Backend = (CacheBackend)42 },
        { "DragonflyUrl", c => c.Backend = CacheBackend.Dragonfly },
        { "DragonflyUrl", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "   "; } },
        { "DragonflyUrl", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "http://localhost:6379"; } },
        { "Memory.ExpirationScanInterval", c => c.Memory = new() { ExpirationScanInterval = TimeSpan.FromDays(100) } },
        { "Memory.MaxMemoryBytes", c => c.Memory = new() { MaxMemoryBytes = 0 } },
        { "Memory.MaxSizePerTenant", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "dragonfly://127.0.0.1:1"; c.Memory = new() { MaxSizePerTenant = 5 }; } },
        { "Dragonfly.TenantPlacement", c => c.Dragonfly = new() { TenantPlacement = (TenantPlacement)7 } },
        { "ReadBatching.MaxKeys", c => c.ReadBatching = new() { MaxKeys = 10_001 } },
        { "LocalLevel", c => c.LocalLevel = new() },
        { "LocalLevel", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "dragonfly://127.0.0.1:1,127.0.0.1:2"; c.EnableSharding = true; c.ShardCount = 2; c.LocalLevel = new(); } },
        { "LocalLevel.MaxSize", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "dragonfly://127.0.0.1:1"; c.LocalLevel = new() { MaxSize = 0 }; } },
        { "LocalLevel.MaxMemoryBytes", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "dragonfly://127.0.0.1:1"; c.LocalLevel = new() { MaxMemoryBytes = -1 }; } },
        { "LocalLevel.MaxLifetime", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "dragonfly://127.0.0.1:1"; c.LocalLevel = new() { MaxLifetime = TimeSpan.Zero }; } },
        { "LocalLevel.MaxLifetime", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "dragonfly://127.0.0.1:1"; c.LocalLevel = new() { MaxLifetime = TimeSpan.FromDays(2) }; } },
        { "LocalLevel.FleetSingleFlight.LeaseDuration", c => { c.Backend = CacheBackend.Dragonfly; c.DragonflyUrl = "dragonfly://127.0.0.1:1"; c.LocalLevel = new() { FleetSingleFlight = new() { LeaseDuration = TimeSpan.FromMilliseconds(50) } }; } },
        { "Integrity.SigningKey is missing", c => c.Integrity = new() },
        { "EnableValidation is false", c => { c.EnableValidation = false; c.Integrity = new() { SigningKey = new byte[16] }; } },
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
        var config = new CacheConfig
        {
            MaxSize = 5,
            Integrity = new() { SigningKey = new byte[16] },
            DragonflyUrl = "dragonfly://h",
            Memory = new() { MaxMemoryBytes = 100 },
            LocalLevel = new() { FleetSingleFlight = new() { LeaseDuration = TimeSpan.FromSeconds(3) } },
        };
        config.Memory.TenantQuotas["t"] = new TenantQuota { MaxSize = 2 };

        var copy = config.Clone();
        config.MaxSize = 6;
        config.Integrity.SigningKey[0] = 1;
        config.Memory.MaxMemoryBytes = 200;
        config.Memory.TenantQuotas["t"].MaxSize = 3;
        config.LocalLevel.FleetSingleFlight.LeaseDuration = TimeSpan.FromSeconds(4);
        config.ReadBatching!.MaxKeys = 9;

        Assert.Equal(5, copy.MaxSize);
        Assert.Equal(0, copy.Integrity!.SigningKey![0]);
        Assert.Equal("dragonfly://h", copy.DragonflyUrl);
        Assert.Equal(100, copy.Memory!.MaxMemoryBytes);
        Assert.Equal(2, copy.Memory.TenantQuotas["t"].MaxSize);
        Assert.Equal(TimeSpan.FromSeconds(3), copy.LocalLevel!.FleetSingleFlight!.LeaseDuration);
        Assert.Equal(128, copy.ReadBatching!.MaxKeys);
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
