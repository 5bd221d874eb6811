using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Backends.Memory;
using Motadata.Cache.Telemetry;

namespace Motadata.Cache.Tests.Integrations;

public sealed class TelemetryTests
{
    private static IReadOnlyList<CollectedMeasurement<long>> Collect(CacheMechanism cache, string instrument)
    {
        using var collector = new MetricCollector<long>(cache.Telemetry.Meter, instrument);
        collector.RecordObservableInstruments();
        return collector.GetMeasurementSnapshot();
    }

    private static List<CollectedMeasurement<long>> ByReason(IReadOnlyList<CollectedMeasurement<long>> measurements, string reason) =>
        [.. measurements.Where(m => Equals(m.Tags.GetValueOrDefault(CacheDiagnostics.EvictionReasonTag), reason))];

    private static long ValueFor(IReadOnlyList<CollectedMeasurement<long>> measurements, string? tenant) =>
        measurements.Single(m => Equals(m.Tags.GetValueOrDefault(CacheDiagnostics.TenantTag), tenant)).Value;

    [Fact]
    public async Task WhenLookupsHitAndMissTheCountersReportThemByTenantAndBackend()
    {
        await using var cache = CacheMechanism.CreateMemory();
        cache.Set("k", "v", tenantId: "tenant_a");
        cache.Get<string>("k", "tenant_a");
        cache.Get<string>("k", "tenant_a");
        cache.Get<string>("missing", "tenant_a");
        cache.Get<string>("k", "tenant_b");
        cache.Get<string>("k");

        var hits = Collect(cache, CacheDiagnostics.Hits);
        var misses = Collect(cache, CacheDiagnostics.Misses);

        Assert.Equal(2, ValueFor(hits, "tenant_a"));
        Assert.Equal(1, ValueFor(misses, "tenant_a"));
        Assert.Equal(1, ValueFor(misses, "tenant_b"));
        Assert.Equal(1, ValueFor(misses, null));
        Assert.All(hits, m => Assert.Equal("memory", m.Tags[CacheDiagnostics.BackendTag]));
        Assert.Equal(1, ValueFor(Collect(cache, CacheDiagnostics.Sets), "tenant_a"));
    }

    [Fact]
    public async Task WhenATenantEvictsForItsQuotaOrEntriesExpireTheEvictionsCounterSaysWhy()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var cache = CacheMechanism.CreateMemory(maxSize: 100, configure: c =>
        {
            c.MaxSizePerTenant = 2;
            c.TimeProvider = time;
        });
        for (var i = 0; i < 5; i++)
        {
            cache.Set($"k{i}", i, tenantId: "q");
        }

        cache.Set("short", 1, TimeSpan.FromSeconds(1), "e");
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(cache.TryGet<int>("short", out _, "e"));

        var evictions = Collect(cache, CacheDiagnostics.Evictions);
        Assert.Equal(3, ValueFor(ByReason(evictions, "tenant_quota"), "q"));
        Assert.Equal(0, ValueFor(ByReason(evictions, "size"), "q"));
        Assert.Equal(1, ValueFor(ByReason(evictions, "expired"), "e"));
        Assert.Equal(0, ValueFor(ByReason(evictions, "tenant_quota"), "e"));
    }

    [Fact]
    public async Task WhenEntriesAreEvictedOrRejectedTheCountersAndGaugesSaySo()
    {
        await using var cache = CacheMechanism.CreateMemory(maxSize: 2, configure: c => c.MaxMemoryBytes = 10_000);
        cache.Set("a", "1", tenantId: "t");
        cache.Set("b", "2", tenantId: "t");
        cache.Set("c", "3", tenantId: "t");
        cache.Set("huge", new string('x', 20_000), tenantId: "t");

        var evictions = Collect(cache, CacheDiagnostics.Evictions);
        Assert.Equal(1, ValueFor(ByReason(evictions, "size"), "t"));
        Assert.Equal(0, ValueFor(ByReason(evictions, "memory"), "t"));
        Assert.Equal(0, ValueFor(ByReason(evictions, "tenant_quota"), "t"));
        Assert.Equal(0, ValueFor(ByReason(evictions, "expired"), "t"));
        Assert.Equal(2, ValueFor(Collect(cache, CacheDiagnostics.Size), "t"));
        Assert.True(ValueFor(Collect(cache, CacheDiagnostics.MemoryUsage), "t") > 0);
        var errors = Collect(cache, CacheDiagnostics.Errors);
        Assert.Equal(1, errors.Single(m => Equals(m.Tags[CacheDiagnostics.ErrorTypeTag], "rejected_value") && Equals(m.Tags.GetValueOrDefault(CacheDiagnostics.TenantTag), "t")).Value);
        Assert.Equal(0, errors.Single(m => Equals(m.Tags[CacheDiagnostics.ErrorTypeTag], "backend_failure")).Value);
    }

    [Fact]
    public async Task WhenThereAreMoreTenantsThanTheGuardAllowsTheRestShareOneTag()
    {
        await using var cache = CacheMechanism.CreateMemory();
        for (var i = 0; i < CacheDiagnostics.MaxTenantTags + 20; i++)
        {
            cache.Get<string>("k", $"tenant_{i}");
        }

        var misses = Collect(cache, CacheDiagnostics.Misses);

        var tenantTags = misses.Select(m => m.Tags.GetValueOrDefault(CacheDiagnostics.TenantTag)).Where(t => t is not null).ToList();
        Assert.Equal(CacheDiagnostics.MaxTenantTags + 1, tenantTags.Count);
        Assert.Equal(20, ValueFor(misses, CacheDiagnostics.OtherTenants));
        Assert.Equal(CacheDiagnostics.MaxTenantTags + 20, misses.Sum(m => m.Value));
    }

    [Fact]
    public async Task WhenTheMeterComesFromTheContainerItCarriesTheCacheName()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IMeterFactory, TestMeterFactory>();
        services.AddMotadataCache("llm", _ => { });
        await using var provider = services.BuildServiceProvider();
        var meterFactory = provider.GetRequiredService<IMeterFactory>();
        using var collector = new MetricCollector<long>(meterFactory, CacheDiagnostics.MeterName, CacheDiagnostics.Hits);
        var cache = provider.GetRequiredKeyedService<CacheMechanism>("llm");
        cache.Set("k", 1, tenantId: "t");
        cache.Get<int>("k", "t");

        collector.RecordObservableInstruments();

        var hit = collector.GetMeasurementSnapshot().Single(m => Equals(m.Tags.GetValueOrDefault(CacheDiagnostics.TenantTag), "t"));
        Assert.Equal(1, hit.Value);
        Assert.Equal("llm", collector.Instrument!.Meter.Tags!.Single(t => t.Key == CacheDiagnostics.NameTag).Value);
    }

    [Fact]
    public async Task WhenAListenerIsAttachedAMemoryHitStillAllocatesNothing()
    {
        await using var cache = CacheMechanism.CreateMemory();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CacheDiagnostics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.Start();
        cache.Set("k", "v", tenantId: "t");
        cache.TryGet<string>("k", out _, "t");

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            cache.TryGet<string>("k", out _, "t");
            _ = await cache.GetAsync<string>("k", "t");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void WhenARemoteStoreIsObservedEachCallIsTimedAndTraced()
    {
        // The memory store stands in for a remote one here, wrapped directly: the decorator is what is under test.
        var config = new CacheConfig();
        var statistics = new CacheCounters();
        using var telemetry = new CacheTelemetry(config, "dragonfly", statistics);
        using var store = new InstrumentedStore(new MemoryStore(config, statistics, TimeProvider.System), telemetry);
        using var durations = new MetricCollector<double>(telemetry.Meter, CacheDiagnostics.OperationDuration);
        var activities = new List<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CacheDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (activities)
                {
                    activities.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(activityListener);

        // Activity listeners see every test's spans: a tenant of this test's own tells its spans apart.
        var tenant = $"tel-{Guid.NewGuid():N}";
        store.Write(new CacheKey(tenant, "k"), "v", TimeSpan.FromMinutes(1));
        store.Read<string>(new CacheKey(tenant, "k"));

        var recorded = durations.GetMeasurementSnapshot();
        Assert.Equal(["set", "get"], recorded.Select(m => (string)m.Tags[CacheDiagnostics.OperationTag]!));
        Assert.All(recorded, m => Assert.Equal("dragonfly", m.Tags[CacheDiagnostics.BackendTag]));
        Assert.All(recorded, m => Assert.True(m.Value >= 0));
        List<Activity> mine;
        lock (activities)
        {
            mine = activities.Where(a => Equals(a.GetTagItem(CacheDiagnostics.TenantTag), tenant)).ToList();
        }

        Assert.Equal(["set", "get"], mine.Select(a => a.OperationName));
        Assert.All(mine, a => Assert.Equal(ActivityKind.Client, a.Kind));
    }

    [Fact]
    public void WhenNobodyListensARemoteStoreCallIsForwardedWithoutATrace()
    {
        var config = new CacheConfig();
        var statistics = new CacheCounters();
        using var telemetry = new CacheTelemetry(config, "dragonfly", statistics);
        using var store = new InstrumentedStore(new MemoryStore(config, statistics, TimeProvider.System), telemetry);

        Assert.True(store.Write(new CacheKey(null, "k"), 1, TimeSpan.FromMinutes(1)).IsStored);
        var read = store.Read<int>(new CacheKey(null, "k"));
        Assert.True(read.Found);
        Assert.Equal(1, read.Value);
        Assert.Equal("memory", store.Name);
    }
}
