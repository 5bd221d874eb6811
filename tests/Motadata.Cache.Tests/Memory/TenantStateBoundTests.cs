using Motadata.Cache.Stats;
using Xunit.Abstractions;

namespace Motadata.Cache.Tests.Memory;

/// <summary>
/// Per-tenant state does not grow from reads alone: lookups of tenant ids the cache never stored for create bounded
/// state, idle tenants that only missed are folded away, and a tenant with entries keeps its figures.
/// </summary>
public sealed class TenantStateBoundTests : MemoryCacheFixture
{
    private readonly ITestOutputHelper _output;

    public TenantStateBoundTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void WhenAMillionDistinctTenantsMissTheManagedHeapStaysBoundedAndTheWholeCacheCountsEveryMiss()
    {
        var cache = CreateCache();
        cache.Set("k", "v", tenantId: "kept");
        Assert.Equal("v", cache.Get<string>("k", "kept"));
        for (var i = 0; i < 1000; i++)
        {
            cache.Get<string>("k", "warm" + i);
        }

        var before = GC.GetTotalMemory(forceFullCollection: true);
        const int Tenants = 1_000_000;
        for (var i = 0; i < Tenants; i++)
        {
            Assert.False(cache.TryGet<string>("k", out _, "t" + i));
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        _output.WriteLine($"managed heap: {before / 1024} KB before, {after / 1024} KB after {Tenants} tenants' misses; {cache.Statistics.TenantCount} tenants with counters");

        // Unbounded, a million tenants' counters take about 1 GB on two cores (more on more); bounded, at most
        // MaxLookupOnlyTenants of them (a few MB, tens of MB on 64 cores).
        Assert.True(after - before < 96L * 1024 * 1024, $"managed heap grew by {(after - before) / 1024 / 1024} MB over {Tenants} tenants' misses");
        Assert.True(cache.Statistics.TenantCount <= CacheCounters.MaxLookupOnlyTenants + 1, $"{cache.Statistics.TenantCount} tenants have counters");
        Assert.Equal(Tenants + 1000L, cache.GetStats().Misses);
        var kept = cache.GetStats("kept");
        Assert.Equal((1L, 0L, 1L, 1L), (kept.Hits, kept.Misses, kept.Sets, kept.Size));
        GC.KeepAlive(cache);
    }

    [Fact]
    public void WhenATenantOnlyMissedAndStaysIdleForAWholeIntervalItsCountersAreFoldedAndATenantWithEntriesKeepsItsOwn()
    {
        var cache = CreateCache(c => c.Ttl = Timeout.InfiniteTimeSpan);
        cache.Set("k", "v", tenantId: "kept");
        cache.Get<string>("k", "kept");
        cache.Get<string>("missing", "kept");
        cache.Get<string>("k", "idle");
        cache.Get<string>("k", "busy");
        Assert.Equal(1, cache.GetStats("idle").Misses);

        // The first pass notes the figures; only a tenant with no new miss by the next pass is folded.
        Time.Advance(CacheMechanism.IdleTenantInterval);
        Assert.Equal(1, cache.GetStats("idle").Misses);
        cache.Get<string>("k", "busy");
        Time.Advance(CacheMechanism.IdleTenantInterval);

        Assert.Equal(0, cache.GetStats("idle").Misses);
        Assert.Null(cache.Statistics.Find("idle"));
        Assert.Equal(2, cache.GetStats("busy").Misses);
        var kept = cache.GetStats("kept");
        Assert.Equal((1L, 1L, 1L, 1L), (kept.Hits, kept.Misses, kept.Sets, kept.Size));

        // Many idle passes later the tenant with entries still has its figures, and a folded tenant starts again at zero.
        for (var i = 0; i < 5; i++)
        {
            Time.Advance(CacheMechanism.IdleTenantInterval);
        }

        kept = cache.GetStats("kept");
        Assert.Equal((1L, 1L, 1L, 1L), (kept.Hits, kept.Misses, kept.Sets, kept.Size));
        Assert.Null(cache.Statistics.Find("busy"));
        cache.Get<string>("k", "idle");
        Assert.Equal(1, cache.GetStats("idle").Misses);
        Assert.Equal(5, cache.GetStats().Misses);
    }

    [Fact]
    public void WhenTheLookupOnlyBoundIsReachedLaterTenantsCountOnTheWholeCacheAndAFoldFreesRoom()
    {
        var cache = CreateCache();
        for (var i = 0; i < CacheCounters.MaxLookupOnlyTenants; i++)
        {
            cache.Get<string>("k", "t" + i);
        }

        cache.Get<string>("k", "late");
        Assert.Null(cache.Statistics.Find("late"));
        Assert.Equal(CacheCounters.MaxLookupOnlyTenants + 1L, cache.GetStats().Misses);

        // A write gives a tenant its own counters whatever the bound: they hold its entry's figures.
        cache.Set("k", "v", tenantId: "writer");
        Assert.Equal(1, cache.GetStats("writer").Sets);

        Assert.Equal(0, cache.ReclaimIdleTenants());
        Assert.Equal(CacheCounters.MaxLookupOnlyTenants, cache.ReclaimIdleTenants());
        cache.Get<string>("k", "late");
        Assert.Equal(1, cache.GetStats("late").Misses);
        Assert.Equal(1, cache.GetStats("writer").Sets);
    }
}
