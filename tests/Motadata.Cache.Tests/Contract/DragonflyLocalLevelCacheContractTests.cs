using Microsoft.Extensions.Time.Testing;
using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.Contract;

/// <summary>
/// The contract on Dragonfly with the local level on (and recovery on): every behaviour must be the same with values
/// served from memory. Time moves both on the server and on the local level's fake clock, so a local entry expires
/// with its server TTL.
/// </summary>
public sealed class DragonflyLocalLevelCacheContractTests : DragonflyCacheContractTestsBase, IClassFixture<RedisServerFixture>
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public DragonflyLocalLevelCacheContractTests(RedisServerFixture fixture)
        : base(fixture, enableRecovery: true)
    {
    }

    protected override void ConfigureBackend(CacheConfig config)
    {
        base.ConfigureBackend(config);
        config.EnableLocalLevel = true;
        config.TimeProvider = _time;

        // The cache's constructor waits up to ConnectTimeout for the local level's first subscription, and returns as
        // soon as it is confirmed. The default 5 s was once too short on a busy two-core machine (the test then ran
        // without a serving local level and the check below failed it): generous, as the other timeouts here.
        config.Dragonfly!.ConnectTimeout = TimeSpan.FromSeconds(60);
    }

    protected override async Task AdvanceTimeAsync(TimeSpan by)
    {
        await base.AdvanceTimeAsync(by);
        _time.Advance(by);
    }

    protected override void AssertNoHiddenFailure(CacheMechanism cache)
    {
        base.AssertNoHiddenFailure(cache);
        // Proven at construction (the constructor waits for it), so the test ran with a local level that serves.
        Assert.True(cache.LocalLevel is { Backplane.WasEverConfirmed: true }, "The local level's subscription was never proven, so the contract did not run on a serving local level.");
    }
}
