namespace Motadata.Cache.Tests.Configuration;

/// <summary>
/// The v1 flat settings still compile (obsolete, MCACHE001) and forward to the v2 groups: set one and its group holds
/// the value; the ones that turned a feature on create or remove the group, and the sizes set while a feature is off
/// wait aside, so neither the order of the settings nor a size set alone turns a feature on.
/// </summary>
#pragma warning disable MCACHE001 // The v1 names are what is tested here.
public sealed class CacheConfigForwardingTests
{
    public static TheoryData<string, Action<CacheConfig>, Func<CacheConfig, object?>, object> Forwarders() => new()
    {
        { "TenantPlacement", c => c.TenantPlacement = TenantPlacement.CoLocated, c => c.Dragonfly?.TenantPlacement, TenantPlacement.CoLocated },
        { "MaxMemoryBytes", c => c.MaxMemoryBytes = 99, c => c.Memory?.MaxMemoryBytes, 99L },
        { "MaxSizePerTenant", c => c.MaxSizePerTenant = 9, c => c.Memory?.MaxSizePerTenant, 9 },
        { "MaxMemoryBytesPerTenant", c => c.MaxMemoryBytesPerTenant = 8, c => c.Memory?.MaxMemoryBytesPerTenant, 8L },
        { "TenantQuotas", c => c.TenantQuotas["t"] = new TenantQuota { MaxSize = 3 }, c => c.Memory?.TenantQuotas["t"].MaxSize, 3 },
        { "ExpirationScanInterval", c => c.ExpirationScanInterval = TimeSpan.FromSeconds(3), c => c.Memory?.ExpirationScanInterval, TimeSpan.FromSeconds(3) },
        { "KeyPrefix", c => c.KeyPrefix = "x:", c => c.Dragonfly?.KeyPrefix, "x:" },
        { "OperationTimeout", c => c.OperationTimeout = TimeSpan.FromSeconds(2), c => c.Dragonfly?.OperationTimeout, TimeSpan.FromSeconds(2) },
        { "ConnectTimeout", c => c.ConnectTimeout = TimeSpan.FromSeconds(2), c => c.Dragonfly?.ConnectTimeout, TimeSpan.FromSeconds(2) },
        { "DedicatedIOThreads", c => c.DedicatedIOThreads = true, c => c.Dragonfly?.DedicatedIOThreads, true },
        { "ReadBatchMaxKeys", c => c.ReadBatchMaxKeys = 16, c => c.ReadBatching?.MaxKeys, 16 },
        { "EnableReadBatching", c => c.EnableReadBatching = false, c => c.ReadBatching is null, true },
        { "RecoveryJournalCapacity", c => c.RecoveryJournalCapacity = 5, c => c.Recovery?.JournalCapacity, 5 },
        { "RecoveryBreakDuration", c => c.RecoveryBreakDuration = TimeSpan.FromSeconds(2), c => c.Recovery?.BreakDuration, TimeSpan.FromSeconds(2) },
        { "RecoveryMaxReplayAttempts", c => c.RecoveryMaxReplayAttempts = 4, c => c.Recovery?.MaxReplayAttempts, 4 },
        { "RecoveryFallbackMaxSize", c => c.RecoveryFallbackMaxSize = 6, c => c.Recovery?.FallbackMaxSize, 6 },
        { "EnableLocalLevel", c => c.EnableLocalLevel = true, c => c.LocalLevel is not null, true },
        { "LocalMaxSize", c => { c.EnableLocalLevel = true; c.LocalMaxSize = 7; }, c => c.LocalLevel?.MaxSize, 7 },
        { "LocalMaxMemoryBytes", c => { c.EnableLocalLevel = true; c.LocalMaxMemoryBytes = 7; }, c => c.LocalLevel?.MaxMemoryBytes, 7L },
        { "LocalMaxLifetime", c => { c.EnableLocalLevel = true; c.LocalMaxLifetime = TimeSpan.FromMinutes(1); }, c => c.LocalLevel?.MaxLifetime, TimeSpan.FromMinutes(1) },
        { "EnableFleetSingleFlight", c => { c.EnableLocalLevel = true; c.EnableFleetSingleFlight = true; }, c => c.LocalLevel?.FleetSingleFlight is not null, true },
        { "FleetLeaseDuration", c => { c.EnableLocalLevel = true; c.EnableFleetSingleFlight = true; c.FleetLeaseDuration = TimeSpan.FromSeconds(4); }, c => c.LocalLevel?.FleetSingleFlight?.LeaseDuration, TimeSpan.FromSeconds(4) },
        { "SigningKey", c => c.SigningKey = new byte[20], c => c.Integrity?.SigningKey?.Length, 20 },
    };

    [Theory]
    [MemberData(nameof(Forwarders))]
    public void WhenAV1SettingIsSetItsGroupHoldsTheValueAndTheV1NameReadsItBack(string setting, Action<CacheConfig> set, Func<CacheConfig, object?> group, object expected)
    {
        var config = new CacheConfig();

        set(config);

        Assert.Equal(expected, group(config));
        var v1 = typeof(CacheConfig).GetProperty(setting)!;
        Assert.NotNull(v1.GetCustomAttributes(typeof(ObsoleteAttribute), false).SingleOrDefault());
        Assert.NotNull(v1.GetValue(config));
    }

    [Fact]
    public void EveryV1SettingIsObsoleteWithTheIdAndNamesWhereItMoved()
    {
        var obsolete = typeof(CacheConfig).GetProperties()
            .Select(property => (property.Name, Attribute: property.GetCustomAttributes(typeof(ObsoleteAttribute), false).OfType<ObsoleteAttribute>().SingleOrDefault()))
            .Where(pair => pair.Attribute is not null)
            .ToList();

        Assert.Equal(23, obsolete.Count);
        Assert.All(obsolete, pair =>
        {
            Assert.Equal("MCACHE001", pair.Attribute!.DiagnosticId);
            Assert.StartsWith("Use ", pair.Attribute.Message, StringComparison.Ordinal);
            var target = pair.Attribute.Message!["Use ".Length..].Split(' ', '.')[0];
            Assert.NotNull(typeof(CacheConfig).GetProperty(target));
        });
    }

    [Fact]
    public void WhenALocalSizeIsSetWhileTheLocalLevelIsOffItWaitsAndDoesNotTurnItOn()
    {
        var config = new CacheConfig { LocalMaxSize = 42, FleetLeaseDuration = TimeSpan.FromSeconds(3) };

        Assert.Null(config.LocalLevel);
        Assert.Equal(42, config.LocalMaxSize);
        config.Validate();

        config.EnableLocalLevel = true;
        config.EnableFleetSingleFlight = true;

        Assert.Equal(42, config.LocalLevel?.MaxSize);
        Assert.Equal(TimeSpan.FromSeconds(3), config.LocalLevel?.FleetSingleFlight?.LeaseDuration);
    }

    [Fact]
    public void WhenFleetSingleFlightIsTurnedOnBeforeTheLocalLevelBothEndUpOn()
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = "dragonfly://127.0.0.1:1" };

        config.EnableFleetSingleFlight = true;
        config.FleetLeaseDuration = TimeSpan.FromSeconds(5);
        config.EnableLocalLevel = true;

        config.Validate();
        Assert.Equal(TimeSpan.FromSeconds(5), config.LocalLevel?.FleetSingleFlight?.LeaseDuration);
    }

    [Fact]
    public void WhenFleetSingleFlightIsOnWithoutTheLocalLevelValidationSaysHowToWriteIt()
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = "dragonfly://127.0.0.1:1", EnableFleetSingleFlight = true };

        var error = Assert.Throws<ArgumentException>(config.Validate);

        Assert.Contains("EnableFleetSingleFlight is true without EnableLocalLevel", error.Message, StringComparison.Ordinal);
        Assert.Contains("LocalLevel = new() { FleetSingleFlight = new() }", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenReadBatchingIsTurnedOffItsSizeIsKeptForWhenItIsTurnedOnAgain()
    {
        var config = new CacheConfig { EnableReadBatching = false, ReadBatchMaxKeys = 12 };

        Assert.Null(config.ReadBatching);

        config.EnableReadBatching = true;

        Assert.Equal(12, config.ReadBatching?.MaxKeys);
    }

    [Fact]
    public void WhenTheLocalLevelIsTurnedOffAndOnAgainItsSettingsComeBack()
    {
        var config = new CacheConfig { EnableLocalLevel = true, LocalMaxSize = 9 };

        config.EnableLocalLevel = false;
        Assert.Null(config.LocalLevel);
        Assert.Equal(9, config.LocalMaxSize);

        config.EnableLocalLevel = true;
        Assert.Equal(9, config.LocalLevel?.MaxSize);
    }

    [Fact]
    public void WhenTheSigningKeyIsSetToNullIntegrityIsOff()
    {
        var config = new CacheConfig { SigningKey = new byte[16] };

        config.SigningKey = null;

        Assert.Null(config.Integrity);
    }
}
