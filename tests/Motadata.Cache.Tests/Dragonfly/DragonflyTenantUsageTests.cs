using System.Text;
using Motadata.Cache.Stores.Backends.Dragonfly;

namespace Motadata.Cache.Tests.Dragonfly;

/// <summary>
/// What one tenant's walk of the keyspace may cost the others: walks of one client run one at a time, and every
/// tenant's usage can be read in one walk (for /metrics) from the namespace each key's name carries.
/// </summary>
public sealed class DragonflyTenantUsageTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    public DragonflyTenantUsageTests(RedisServerFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData(null, "user_42")]
    [InlineData("tenant_123", "user_42")]
    [InlineData("a:b", "c:d")]
    [InlineData("{t}", "}:x")]
    [InlineData("тенант😀", "ключ")]
    public void AServerKeyNamesItsTenantInEitherPlacement(string? tenant, string key)
    {
        foreach (var placement in new[] { TenantPlacement.Spread, TenantPlacement.CoLocated })
        {
            var afterPrefix = Encoding.UTF8.GetBytes(DragonflyKeys.NamespacePrefix("mc:", tenant, placement)[3..] + key);
            Assert.True(DragonflyKeys.TryGetTenant(afterPrefix, placement, out var found));
            Assert.Equal(tenant, found);
        }

        Assert.False(DragonflyKeys.TryGetTenant("tomato"u8, TenantPlacement.Spread, out _));
        Assert.False(DragonflyKeys.TryGetTenant("t:9:ab:c"u8, TenantPlacement.Spread, out _));
    }

    [Fact]
    public async Task EveryTenantsUsageComesFromOneWalkAndOtherTenantsAreNotListed()
    {
        var prefix = RedisServerFixture.UniquePrefix("usage");
        await using var cache = CreateCache(prefix);
        for (var i = 0; i < 5; i++)
        {
            cache.Set($"k{i}", "value", tenantId: "acme");
        }

        cache.Set("k", "value", tenantId: "globex");
        cache.Set("k", "value", tenantId: "not-asked");
        cache.Set("g", "value");

        var usage = await cache.GetUsageByTenantAsync(new HashSet<string> { "acme", "globex", "empty" }, CancellationToken.None);

        Assert.NotNull(usage);
        Assert.Equal(5, usage["acme"].Size);
        Assert.Equal(1, usage["globex"].Size);
        Assert.Equal(1, usage[string.Empty].Size);
        Assert.False(usage.ContainsKey("not-asked"));
        Assert.False(usage.ContainsKey("empty"));
        Assert.True(usage["acme"].MemoryBytes > usage["globex"].MemoryBytes);
        Assert.Equal((await cache.GetUsageAsync("acme")).Size, usage["acme"].Size);
    }

    [Fact]
    public async Task WhileOneWalkRunsAnotherWaitsForItAndReadsOfOtherTenantsGoOn()
    {
        var prefix = RedisServerFixture.UniquePrefix("gate");
        await using var cache = CreateCache(prefix);
        cache.Set("k", "v", tenantId: "acme");
        cache.Set("k", "v", tenantId: "globex");
        var gate = cache.Dragonfly!.Connection.WalkGate;

        // Stands for a walk of acme's in progress.
        await gate.WaitAsync();
        Task<CacheStats> stats;
        Task<long> invalidate;
        try
        {
            stats = cache.GetStatsAsync("acme").AsTask();
            invalidate = cache.InvalidateAsync("k*", "globex").AsTask();
            Assert.Equal("v", await cache.GetAsync<string>("k", "globex"));
            Assert.Equal("v", await cache.GetAsync<string>("k", "acme"));
            Assert.False(stats.IsCompleted);
            Assert.False(invalidate.IsCompleted);
        }
        finally
        {
            gate.Release();
        }

        Assert.Equal(1, (await stats.WaitAsync(TimeSpan.FromSeconds(30))).Size);
        Assert.Equal(1, await invalidate.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, gate.CurrentCount);
    }

    private CacheMechanism CreateCache(string prefix) => new(new CacheConfig
    {
        Backend = CacheBackend.Dragonfly,
        DragonflyUrl = _fixture.Server.Url,
        KeyPrefix = prefix,
        EnableRecovery = false,
        OperationTimeout = TimeSpan.FromSeconds(5),
    });
}
