using Microsoft.Extensions.Configuration;

namespace Motadata.Cache.Tests.Memory;

/// <summary>Tenant quotas: a tenant at its quota evicts its own entries, never another tenant's.</summary>
public sealed class TenantQuotaTests : MemoryCacheFixture
{
    [Fact]
    public void WhenATenantWritesTenTimesItsQuotaAnotherTenantsEntriesAllStay()
    {
        var cache = CreateCache(c =>
        {
            c.MaxSize = 1_000;
            c.MaxSizePerTenant = 100;
        });
        for (var i = 0; i < 100; i++)
        {
            cache.Set($"b{i}", i, tenantId: "quiet");
        }

        for (var i = 0; i < 1_000; i++)
        {
            cache.Set($"a{i}", i, tenantId: "noisy");
            Assert.InRange(cache.GetStats("noisy").Size, 0, 100);
        }

        for (var i = 0; i < 100; i++)
        {
            Assert.True(cache.TryGet<int>($"b{i}", out var value, "quiet") && value == i, $"quiet's b{i} was evicted by noisy");
        }

        var noisy = cache.GetStats("noisy");
        Assert.Equal(100, noisy.Size);
        Assert.Equal(900, noisy.Evictions);
        Assert.Equal(900, noisy.QuotaEvictions);
        Assert.Equal(100, noisy.MaxSize);
        Assert.Null(noisy.MaxMemoryBytes);
        var quiet = cache.GetStats("quiet");
        Assert.Equal(100, quiet.Size);
        Assert.Equal(0, quiet.Evictions);
        Assert.Equal(200, cache.GetStats().Size);
        Assert.Equal(1_000, cache.GetStats().MaxSize);
        Assert.Equal(cache.GetStats().Size, noisy.Size + quiet.Size);
        Assert.Equal(100, Enumerable.Range(0, 1_000).Count(i => cache.TryGet<int>($"a{i}", out _, "noisy")));
    }

    [Fact]
    public void WhenTenantsHaveDifferentQuotasEachCountsExactlyItsOwnEvictions()
    {
        var cache = CreateCache(c =>
        {
            c.MaxSize = 500;
            c.MaxSizePerTenant = 10;
            c.TenantQuotas["big"] = new TenantQuota { MaxSize = 20 };
        });

        for (var i = 0; i < 35; i++)
        {
            cache.Set($"k{i}", i, tenantId: "small");
        }

        for (var i = 0; i < 25; i++)
        {
            cache.Set($"k{i}", i, tenantId: "big");
        }

        for (var i = 0; i < 50; i++)
        {
            cache.Set($"k{i}", i);
        }

        Assert.Equal((10L, 25L, 25L, 10L), Figures(cache.GetStats("small")));
        Assert.Equal((20L, 5L, 5L, 20L), Figures(cache.GetStats("big")));
        var global = cache.GetStats(null);
        Assert.Equal(80, global.Size);
        Assert.Equal(30, global.Evictions);
        Assert.Equal(30, global.QuotaEvictions);
        Assert.Equal(50, Enumerable.Range(0, 50).Count(i => cache.TryGet<int>($"k{i}", out _)));

        static (long Size, long Evictions, long QuotaEvictions, long? MaxSize) Figures(CacheStats stats) =>
            (stats.Size, stats.Evictions, stats.QuotaEvictions, stats.MaxSize);
    }

    [Fact]
    public void WhenATenantHasAByteQuotaItsUsageNeverPassesItAndALargerValueIsRefused()
    {
        var cache = CreateCache(c => c.MaxMemoryBytesPerTenant = 5_000);
        cache.Set("other", new string('y', 1_000), tenantId: "other");

        for (var i = 0; i < 200; i++)
        {
            Assert.True(cache.Set($"k{i % 50}", new string('x', i % 120), tenantId: "t"));
            Assert.InRange(cache.GetStats("t").MemoryUsage, 1, 5_000);
        }

        Assert.False(cache.Set("huge", new string('x', 3_000), tenantId: "t"));
        var stats = cache.GetStats("t");
        Assert.Equal(1, stats.RejectedValues);
        Assert.True(stats.QuotaEvictions > 0);
        Assert.Equal(5_000, stats.MaxMemoryBytes);
        Assert.Equal(1_000, cache.Get<string>("other", "other")?.Length);
        Assert.Equal(0, cache.GetStats("other").Evictions);
    }

    [Fact]
    public void WhenQuotasComeFromConfigurationTheOverrideAppliesToItsTenantOnly()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Cache:MaxSize"] = "1000",
                ["Cache:MaxSizePerTenant"] = "5",
                ["Cache:TenantQuotas:big:MaxSize"] = "40",
                ["Cache:TenantQuotas:bytes:MaxMemoryBytes"] = "3000",
            })
            .Build();
        var config = new CacheConfig { TimeProvider = Time };
        configuration.GetSection("Cache").Bind(config);

        using var cache = new CacheMechanism(config);
        for (var i = 0; i < 100; i++)
        {
            cache.Set($"k{i}", i, tenantId: "big");
            cache.Set($"k{i}", i, tenantId: "small");
            cache.Set($"k{i}", "value", tenantId: "bytes");
        }

        Assert.Equal(40, cache.GetStats("big").Size);
        Assert.Equal(40, cache.GetStats("big").MaxSize);
        Assert.Equal(5, cache.GetStats("small").Size);
        Assert.Equal(5, cache.GetStats("bytes").Size);
        Assert.Equal(3_000, cache.GetStats("bytes").MaxMemoryBytes);
        Assert.Equal(5, cache.GetStats("bytes").MaxSize);
        Assert.Equal(40, cache.Config.TenantQuotas["big"].MaxSize);
    }

    [Fact]
    public void WhenQuotaSettingsAreBadOneExceptionNamesEveryOne()
    {
        var config = new CacheConfig
        {
            MaxSize = 1_000,
            MaxMemoryBytes = 10_000,
            MaxSizePerTenant = 0,
            MaxMemoryBytesPerTenant = 20_000,
        };
        config.TenantQuotas[""] = new TenantQuota { MaxSize = 5 };
        config.TenantQuotas["too-big"] = new TenantQuota { MaxSize = 2_000, MaxMemoryBytes = -1 };
        config.TenantQuotas["fine"] = new TenantQuota { MaxSize = 10 };

        var exception = Assert.Throws<ArgumentException>(() => new CacheMechanism(config));

        Assert.Contains("MaxSizePerTenant is 0", exception.Message, StringComparison.Ordinal);
        Assert.Contains("MaxMemoryBytesPerTenant is 20000 but Memory.MaxMemoryBytes is 10000", exception.Message, StringComparison.Ordinal);
        Assert.Contains("TenantQuotas[\"\"] names an invalid tenant id", exception.Message, StringComparison.Ordinal);
        Assert.Contains("TenantQuotas[\"too-big\"].MaxSize is 2000 but MaxSize is 1000", exception.Message, StringComparison.Ordinal);
        Assert.Contains("TenantQuotas[\"too-big\"].MaxMemoryBytes is -1", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\"fine\"", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenAQuotaIsSetOnTheDragonflyBackendConstructionSaysItAppliesToMemoryOnly()
    {
        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = "dragonfly://127.0.0.1:1", MaxSizePerTenant = 10 };

        var exception = Assert.Throws<ArgumentException>(() => new CacheMechanism(config));

        Assert.Contains("memory backend only", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WhenAConfigIsClonedTheQuotasAreCopiedNotShared()
    {
        var config = new CacheConfig();
        config.TenantQuotas["t"] = new TenantQuota { MaxSize = 3 };
        var cache = CreateCache(c => c.TenantQuotas["t"] = new TenantQuota { MaxSize = 3 });

        config.TenantQuotas["t"].MaxSize = 2;
        var copy = config.Clone();
        config.TenantQuotas["t"].MaxSize = 1;

        Assert.Equal(2, copy.TenantQuotas["t"].MaxSize);
        for (var i = 0; i < 10; i++)
        {
            cache.Set($"k{i}", i, tenantId: "t");
        }

        Assert.Equal(3, cache.GetStats("t").Size);
    }
}
