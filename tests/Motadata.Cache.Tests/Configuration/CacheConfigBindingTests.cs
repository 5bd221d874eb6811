using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Motadata.Cache.Tests.Configuration;

/// <summary>
/// Every settings group binds from its own <see cref="IConfiguration"/> section (the Microsoft.Extensions.Configuration
/// binder, as <c>AddMotadataCache</c> and the service use it), and the v1 flat keys still land in the same groups.
/// </summary>
public sealed class CacheConfigBindingTests
{
    [Fact]
    public void WhenTheMemorySectionIsGivenItsSettingsAndQuotasAreBound()
    {
        var config = Bind(new()
        {
            ["Cache:MaxSize"] = "1000",
            ["Cache:Memory:MaxMemoryBytes"] = "5000000",
            ["Cache:Memory:MaxSizePerTenant"] = "100",
            ["Cache:Memory:MaxMemoryBytesPerTenant"] = "100000",
            ["Cache:Memory:ExpirationScanInterval"] = "00:00:05",
            ["Cache:Memory:TenantQuotas:big:MaxSize"] = "500",
            ["Cache:Memory:TenantQuotas:tiny:MaxMemoryBytes"] = "1000",
        });

        config.Validate();
        var memory = Assert.IsType<MemoryOptions>(config.Memory);
        Assert.Equal(5_000_000, memory.MaxMemoryBytes);
        Assert.Equal(100, memory.MaxSizePerTenant);
        Assert.Equal(100_000, memory.MaxMemoryBytesPerTenant);
        Assert.Equal(TimeSpan.FromSeconds(5), memory.ExpirationScanInterval);
        Assert.Equal(500, memory.TenantQuotas["big"].MaxSize);
        Assert.Equal(1000, memory.TenantQuotas["tiny"].MaxMemoryBytes);
        Assert.Null(config.Dragonfly);
        Assert.Null(config.LocalLevel);
    }

    [Fact]
    public void WhenTheDragonflySectionsAreGivenConnectionBatchingRecoveryAndIntegrityAreBound()
    {
        var key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var config = Bind(new()
        {
            ["Cache:Backend"] = "Dragonfly",
            ["Cache:DragonflyUrl"] = "dragonfly://127.0.0.1:6379",
            ["Cache:Dragonfly:KeyPrefix"] = "app:",
            ["Cache:Dragonfly:OperationTimeout"] = "00:00:02",
            ["Cache:Dragonfly:ConnectTimeout"] = "00:00:09",
            ["Cache:Dragonfly:DedicatedIOThreads"] = "true",
            ["Cache:Dragonfly:TenantPlacement"] = "CoLocated",
            ["Cache:ReadBatching:MaxKeys"] = "64",
            ["Cache:Recovery:JournalCapacity"] = "50",
            ["Cache:Recovery:BreakDuration"] = "00:00:03",
            ["Cache:Recovery:MaxReplayAttempts"] = "7",
            ["Cache:Recovery:FallbackMaxSize"] = "20",
            ["Cache:Integrity:SigningKey"] = Convert.ToBase64String(key),
        });

        config.Validate();
        var dragonfly = Assert.IsType<DragonflyOptions>(config.Dragonfly);
        Assert.Equal("app:", dragonfly.KeyPrefix);
        Assert.Equal(TimeSpan.FromSeconds(2), dragonfly.OperationTimeout);
        Assert.Equal(TimeSpan.FromSeconds(9), dragonfly.ConnectTimeout);
        Assert.True(dragonfly.DedicatedIOThreads);
        Assert.Equal(TenantPlacement.CoLocated, dragonfly.TenantPlacement);
        Assert.Equal(64, config.ReadBatching?.MaxKeys);
        var recovery = Assert.IsType<RecoveryOptions>(config.Recovery);
        Assert.Equal(50, recovery.JournalCapacity);
        Assert.Equal(TimeSpan.FromSeconds(3), recovery.BreakDuration);
        Assert.Equal(7, recovery.MaxReplayAttempts);
        Assert.Equal(20, recovery.FallbackMaxSize);
        Assert.Equal(key, config.Integrity?.SigningKey);
    }

    [Fact]
    public void WhenTheLocalLevelSectionIsGivenFleetSingleFlightBindsInsideIt()
    {
        var config = Bind(new()
        {
            ["Cache:Backend"] = "Dragonfly",
            ["Cache:DragonflyUrl"] = "dragonfly://127.0.0.1:6379",
            ["Cache:LocalLevel:MaxSize"] = "300",
            ["Cache:LocalLevel:MaxMemoryBytes"] = "4000",
            ["Cache:LocalLevel:MaxLifetime"] = "00:01:00",
            ["Cache:LocalLevel:FleetSingleFlight:LeaseDuration"] = "00:00:20",
        });

        config.Validate();
        var local = Assert.IsType<LocalLevelOptions>(config.LocalLevel);
        Assert.Equal(300, local.MaxSize);
        Assert.Equal(4000, local.MaxMemoryBytes);
        Assert.Equal(TimeSpan.FromMinutes(1), local.MaxLifetime);
        Assert.Equal(TimeSpan.FromSeconds(20), local.FleetSingleFlight?.LeaseDuration);
    }

    [Fact]
    public void WhenALocalLevelSectionHasNoFleetSingleFlightSectionTheFleetIsOff()
    {
        var config = Bind(new()
        {
            ["Cache:Backend"] = "Dragonfly",
            ["Cache:DragonflyUrl"] = "dragonfly://127.0.0.1:6379",
            ["Cache:LocalLevel:MaxSize"] = "300",
        });

        Assert.NotNull(config.LocalLevel);
        Assert.Null(config.LocalLevel.FleetSingleFlight);
    }

    [Fact]
    public void WhenOnlyFlatSettingsAreGivenEveryGroupStaysAbsent()
    {
        // The binder writes back what it reads from every value-type property, the v1 forwarders included: writing a
        // default must not create a group.
        var config = Bind(new() { ["Cache:MaxSize"] = "50", ["Cache:Ttl"] = "00:10:00", ["Cache:EnableSharding"] = "true" });

        Assert.Equal(50, config.MaxSize);
        Assert.Null(config.Memory);
        Assert.Null(config.Dragonfly);
        Assert.Null(config.Recovery);
        Assert.Null(config.Integrity);
        Assert.Null(config.LocalLevel);
        Assert.Equal(128, config.ReadBatching?.MaxKeys);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void WhenAGroupSectionIsEmptyTheGroupIsNotCreated(string? empty)
    {
        // As docs/configuration.md says: a group is turned on in configuration by naming one of its settings (a JSON
        // "LocalLevel": {} or null reaches the binder as a key with an empty or null value).
        var config = Bind(new() { ["Cache:LocalLevel"] = empty, ["Cache:Dragonfly"] = empty });

        Assert.Null(config.LocalLevel);
        Assert.Null(config.Dragonfly);
    }

    [Fact]
    public void WhenReadBatchingMaxKeysIsOneFromConfigurationEveryReadGoesAlone()
    {
        var config = Bind(new() { ["Cache:ReadBatching:MaxKeys"] = "1" });

        config.Validate();
        Assert.Equal(1, config.ReadBatching?.MaxKeys);
#pragma warning disable MCACHE001 // The v1 name reports what the v2 setting means.
        Assert.True(config.EnableReadBatching);
#pragma warning restore MCACHE001
    }

    [Fact]
    public void WhenTheV1FlatKeysAreGivenTheyLandInTheGroups()
    {
        var config = Bind(new()
        {
            ["Cache:Backend"] = "Dragonfly",
            ["Cache:DragonflyUrl"] = "dragonfly://127.0.0.1:6379",
            ["Cache:KeyPrefix"] = "old:",
            ["Cache:OperationTimeout"] = "00:00:04",
            ["Cache:TenantPlacement"] = "CoLocated",
            ["Cache:ReadBatchMaxKeys"] = "32",
            ["Cache:RecoveryJournalCapacity"] = "77",
            ["Cache:EnableLocalLevel"] = "true",
            ["Cache:LocalMaxSize"] = "55",
            ["Cache:EnableFleetSingleFlight"] = "true",
            ["Cache:FleetLeaseDuration"] = "00:00:30",
            ["Cache:SigningKey"] = Convert.ToBase64String(new byte[16]),
        });

        config.Validate();
        Assert.Equal("old:", config.Dragonfly?.KeyPrefix);
        Assert.Equal(TimeSpan.FromSeconds(4), config.Dragonfly?.OperationTimeout);
        Assert.Equal(TenantPlacement.CoLocated, config.Dragonfly?.TenantPlacement);
        Assert.Equal(32, config.ReadBatching?.MaxKeys);
        Assert.Equal(77, config.Recovery?.JournalCapacity);
        Assert.Equal(55, config.LocalLevel?.MaxSize);
        Assert.Equal(TimeSpan.FromSeconds(30), config.LocalLevel?.FleetSingleFlight?.LeaseDuration);
        Assert.Equal(16, config.Integrity?.SigningKey?.Length);
    }

    [Fact]
    public void WhenTheV1MemoryKeysAreGivenTheServiceStyleStrictBinderAcceptsThem()
    {
        var configuration = Configuration(new()
        {
            ["Cache:MaxSizePerTenant"] = "10",
            ["Cache:MaxMemoryBytes"] = "9000",
            ["Cache:TenantQuotas:t:MaxSize"] = "3",
            ["Cache:ExpirationScanInterval"] = "00:00:07",
        });
        var config = new CacheConfig();

        configuration.GetSection("Cache").Bind(config, static binder => binder.ErrorOnUnknownConfiguration = true);

        config.Validate();
        Assert.Equal(10, config.Memory?.MaxSizePerTenant);
        Assert.Equal(9000, config.Memory?.MaxMemoryBytes);
        Assert.Equal(3, config.Memory?.TenantQuotas["t"].MaxSize);
        Assert.Equal(TimeSpan.FromSeconds(7), config.Memory?.ExpirationScanInterval);
    }

    [Fact]
    public void WhenAGroupKeyIsMisspelledTheStrictBinderNamesIt()
    {
        var configuration = Configuration(new() { ["Cache:LocalLevel:MaxSise"] = "10" });

        var error = Assert.Throws<InvalidOperationException>(() =>
            configuration.GetSection("Cache").Bind(new CacheConfig(), static binder => binder.ErrorOnUnknownConfiguration = true));

        Assert.Contains("MaxSise", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenRegisteredFromConfigurationTheGroupsReachTheCache()
    {
        var configuration = Configuration(new()
        {
            ["Cache:MaxSize"] = "100",
            ["Cache:Memory:MaxSizePerTenant"] = "2",
            ["Cache:Memory:TenantQuotas:big:MaxSize"] = "50",
        });
        var services = new ServiceCollection();
        services.AddMotadataCache(configuration.GetSection("Cache"));
        await using var provider = services.BuildServiceProvider();

        var cache = provider.GetRequiredService<CacheMechanism>();
        for (var i = 0; i < 5; i++)
        {
            cache.Set($"k{i}", i, tenantId: "small");
            cache.Set($"k{i}", i, tenantId: "big");
        }

        // The per-tenant quota and the override, bound from the nested section, bound the tenants.
        Assert.Equal(2, cache.GetStats("small").Size);
        Assert.Equal(5, cache.GetStats("big").Size);
        Assert.Equal(50, cache.Config.Memory?.TenantQuotas["big"].MaxSize);
    }

    [Fact]
    public async Task WhenAGroupSettingIsBadStartUpValidationNamesItWithTheOthers()
    {
        var configuration = Configuration(new()
        {
            ["Cache:MaxSize"] = "0",
            ["Cache:Memory:MaxMemoryBytes"] = "-1",
            ["Cache:Recovery:JournalCapacity"] = "0",
        });
        var services = new ServiceCollection();
        services.AddMotadataCache(configuration.GetSection("Cache"));
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<CacheConfig>>().Get(Options.DefaultName));

        Assert.Contains("MaxSize is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("Memory.MaxMemoryBytes is -1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Recovery.JournalCapacity is 0", error.Message, StringComparison.Ordinal);
    }

    private static CacheConfig Bind(Dictionary<string, string?> settings)
    {
        var config = new CacheConfig();
        Configuration(settings).GetSection("Cache").Bind(config);
        return config;
    }

    private static IConfigurationRoot Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
