using System.Reflection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Motadata.Cache.Stats;
using Motadata.Cache.Tests.Dragonfly;

namespace Motadata.Cache.Tests.Stats;

/// <summary>
/// The counter table (<see cref="CounterKinds"/>): every kind shows in the statistics (its section's property, and the
/// old flat name where one is kept) and on its instruments, counted once. Run on Dragonfly with recovery and the local
/// level on, so that every section exists.
/// </summary>
public sealed class CounterTableTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private CacheMechanism _cache = null!;

    public Task InitializeAsync()
    {
        var config = new CacheConfig
        {
            KeyPrefix = RedisServerFixture.UniquePrefix("countertable"),
            EnableLocalLevel = true,
            EnableRecovery = true,
            OperationTimeout = TimeSpan.FromSeconds(5),
        };
        fixture.Configure(config);
        _cache = new CacheMechanism(config);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _cache.DisposeAsync();

    // By name: CounterKind is internal, and a public test method cannot take it.
    public static TheoryData<string> Kinds()
    {
        var kinds = new TheoryData<string>();
        foreach (var kind in Enum.GetValues<CounterKind>())
        {
            kinds.Add(kind.ToString());
        }

        return kinds;
    }

    [Fact]
    public void TheTableHasOneLineForEveryKindInTheEnumsOrderEachWithADescriptionAndAnInstrument()
    {
        Assert.Equal(CounterKinds.Count, Enum.GetValues<CounterKind>().Length);
        Assert.Equal(CounterKinds.Count, CounterKinds.All.Count);
        for (var i = 0; i < CounterKinds.Count; i++)
        {
            var info = CounterKinds.All[i];
            Assert.Equal((CounterKind)i, info.Kind);
            Assert.False(string.IsNullOrWhiteSpace(info.Description), $"{info.Kind} has no description");
            Assert.NotEmpty(info.Instruments);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryKindCountedOnceShowsOnceInTheStatisticsAndOnEachOfItsInstruments(string kindName)
    {
        var kind = Enum.Parse<CounterKind>(kindName);
        var info = CounterKinds.Of(kind);
        var tenant = info.Scope == CounterScope.Namespace ? "t" : null;
        var statsBefore = ReadStats(kind, tenant);
        var wholeBefore = ReadStats(kind, null);
        var instrumentsBefore = info.Instruments.Select(ReadInstrument).ToArray();

        CountOnce(kind, tenant);

        Assert.Equal(statsBefore + 1, ReadStats(kind, tenant));
        Assert.Equal(wholeBefore + 1, ReadStats(kind, null));
        for (var i = 0; i < info.Instruments.Length; i++)
        {
            // An instrument that reads the local level's table only (local hits) sees nothing counted on the cache's.
            var instrument = info.Instruments[i];
            var expected = instrumentsBefore[i] + (instrument.LocalTableOnly && info.Section != CounterSection.LocalLevel ? 0 : 1);
            Assert.True(expected == ReadInstrument(instrument), $"{kind} on {instrument.Name} {instrument.TagValue}");
        }
    }

    [Fact]
    public void AHitOnTheLocalLevelsOwnTableIsAHitAndALocalHitInTheStatisticsAndOnBothInstruments()
    {
        var hits = new CounterInstrument(CacheDiagnostics.Hits, "", "");
        var localHits = new CounterInstrument(CacheDiagnostics.LocalHits, "", "");
        var (statsBefore, localBefore) = (_cache.GetStats("t").Hits, _cache.GetStats("t").LocalLevel!.Hits);
        var (hitsBefore, localHitsBefore) = (ReadInstrument(hits), ReadInstrument(localHits));
        var cacheTableBefore = _cache.Statistics.Total(CounterKind.Hits, "t");

        // What the facade's inlined hit path does on a local hit: the segment's counters are the local level's.
        _cache.LocalStatistics!.For("t").Hits.Increment();

        var stats = _cache.GetStats("t");
        Assert.Equal((statsBefore + 1, localBefore + 1), (stats.Hits, stats.LocalLevel!.Hits));
        Assert.Equal((hitsBefore + 1, localHitsBefore + 1), (ReadInstrument(hits), ReadInstrument(localHits)));
        Assert.Equal(cacheTableBefore, _cache.Statistics.Total(CounterKind.Hits, "t"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TheFlatNameOfEveryKindReadsWhatItsSectionReads(string kindName)
    {
        var kind = Enum.Parse<CounterKind>(kindName);
        // Every kind had a flat CacheStats property before the sections; those of a section forward to it ([Obsolete]).
        var flat = typeof(CacheStats).GetProperty(kind.ToString(), BindingFlags.Public | BindingFlags.Instance);
        Assert.True(flat is not null, $"CacheStats has no flat {kind}");

        CountOnce(kind, null);
        CountOnce(kind, null);
        var stats = _cache.GetStats();
        var flatValue = (long)flat.GetValue(stats)!;
        Assert.Equal(SectionValue(stats, kind), flatValue);
        Assert.True(flatValue >= 2, $"{kind} read {flatValue} after two counts");
    }

    [Fact]
    public void TheOldFlatNamesAreObsoleteAndNameTheirSection()
    {
        foreach (var name in new[] { "BackendFailures", "BreakerOpenings", "ReplayedOperations", "JournalOverflows", "AbandonedRemovals", "LocalHits", "ServerHits", "BackplaneMessagesSent", "BackplaneMessagesReceived", "BackplaneMessagesDropped", "LocalFlushes" })
        {
            var obsolete = typeof(CacheStats).GetProperty(name)!.GetCustomAttribute<ObsoleteAttribute>();
            Assert.NotNull(obsolete);
            Assert.Matches("^Use (Dragonfly|Recovery|LocalLevel|Hits)", obsolete.Message);
        }
    }

    /// <summary>The kind as the statistics show it: its section's property (the kind's name, or without "Local" in the LocalLevel section).</summary>
    private long ReadStats(CounterKind kind, string? tenant) => SectionValue(_cache.GetStats(tenant), kind);

    private static long SectionValue(CacheStats stats, CounterKind kind)
    {
        var info = CounterKinds.Of(kind);
        object? section = info.Section switch
        {
            CounterSection.Core => stats,
            CounterSection.LocalLevel => stats.LocalLevel,
            CounterSection.Recovery => stats.Recovery,
            CounterSection.Dragonfly => stats.Dragonfly,
            _ => null,
        };
        if (section is null)
        {
            // A section a tenant has none of (whole-cache kinds): nothing to read.
            Assert.True(stats.TenantId is not null, $"{info.Section} is missing from the whole cache's statistics");
            return 0;
        }

        var type = section.GetType();
        var property = type.GetProperty(kind.ToString()) ?? type.GetProperty(kind.ToString().Replace("Local", "", StringComparison.Ordinal));
        Assert.True(property is not null, $"{type.Name} has no property for {kind}");
        return (long)property.GetValue(section)!;
    }

    private long ReadInstrument(CounterInstrument instrument)
    {
        using var collector = new MetricCollector<long>(_cache.Telemetry.Meter, instrument.Name);
        collector.RecordObservableInstruments();
        return collector.GetMeasurementSnapshot()
            .Where(m => instrument.TagName is null || Equals(m.Tags.GetValueOrDefault(instrument.TagName), instrument.TagValue))
            .Sum(m => m.Value);
    }

    /// <summary>Counts <paramref name="kind"/> once, on the table that keeps it (the cache's, or the local level's own).</summary>
    private void CountOnce(CounterKind kind, string? tenant)
    {
        var info = CounterKinds.Of(kind);
        var table = info.Section == CounterSection.LocalLevel ? _cache.LocalStatistics! : _cache.Statistics;
        if (info.Scope == CounterScope.WholeCache)
        {
            table.Record(kind);
            return;
        }

        var counters = table.For(tenant);
        switch (kind)
        {
            case CounterKind.Hits:
                counters.Hits.Increment();
                break;
            case CounterKind.Misses:
                counters.Misses.Increment();
                break;
            case CounterKind.LocalHits:
                counters.LocalHitsViaStore.Increment();
                break;
            default:
                counters.Record(kind);
                break;
        }
    }
}
