using System.Diagnostics;
using System.Diagnostics.Metrics;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores;

namespace Motadata.Cache.Telemetry;

/// <summary>
/// One cache's instruments. Counters and gauges are observable: they read the exact statistics the cache keeps
/// anyway, when a listener collects, so the memory hit path does no telemetry work at all. Remote calls go through
/// <see cref="InstrumentedStore"/>, which times them and traces them only when someone listens.
/// </summary>
internal sealed class CacheTelemetry : IDisposable
{
    // Declared before the source that uses it: static fields are initialized in textual order.
    private static readonly string? s_version = typeof(CacheTelemetry).Assembly.GetName().Version?.ToString();
    private static readonly ActivitySource s_activitySource = new(CacheDiagnostics.ActivitySourceName, s_version);

    private static readonly double[] s_durationBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly CacheCounters _statistics;
    private readonly CacheCounters? _local;
    private readonly TenantTagGuard _tenants;
    private readonly KeyValuePair<string, object?> _backendTag;
    private readonly Histogram<double> _duration;
    private volatile bool _disposed;

    public CacheTelemetry(CacheConfig config, string backendName, CacheCounters statistics, CacheCounters? local = null, int maxTenantTags = CacheDiagnostics.MaxTenantTags)
    {
        _statistics = statistics;
        _local = local;
        _tenants = new TenantTagGuard(maxTenantTags);
        _backendTag = new(CacheDiagnostics.BackendTag, backendName);
        BackendName = backendName;

        var options = new MeterOptions(CacheDiagnostics.MeterName)
        {
            Version = Version,
            Tags = config.Name is { } name ? [new(CacheDiagnostics.NameTag, name)] : null,
        };
        if (config.MeterFactory is { } factory)
        {
            // The factory owns (and may share) its meters: never dispose one.
            _meter = factory.Create(options);
        }
        else
        {
            _meter = new Meter(options);
            _ownsMeter = true;
        }

        // One observable counter per instrument of the counter table, reading every kind reported on it; the local
        // level's instruments only when there is a local level.
        foreach (var (instrumentName, kinds) in InstrumentsOf(local is not null))
        {
            var first = kinds[0].Instrument;
            _meter.CreateObservableCounter(instrumentName, () => ObserveInstrument(kinds), first.Unit, first.Description);
        }

        if (backendName == "memory")
        {
            // A remote backend's size lives on the server; asking it from a metrics callback would block the collector.
            _meter.CreateObservableGauge(CacheDiagnostics.Size, () => ObserveUsage(static c => c.Size), "{entry}", "Entries held.");
            _meter.CreateObservableGauge(CacheDiagnostics.MemoryUsage, () => ObserveUsage(static c => c.MemoryBytes), "By", "Estimated bytes held.");
        }

        _duration = _meter.CreateHistogram(
            CacheDiagnostics.OperationDuration,
            "s",
            "How long remote-backend calls take.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = s_durationBuckets });
    }

    public static string? Version => s_version;

    public string BackendName { get; }

    /// <summary>The meter, for tests that listen to one cache only.</summary>
    public Meter Meter => _meter;

    /// <summary>True when a remote call should be timed or traced; checked before any telemetry work is done.</summary>
    public bool IsObserved => _duration.Enabled || s_activitySource.HasListeners();

    /// <summary>Wraps a remote store so its calls are timed and traced; the memory store is returned as it is.</summary>
    public ICacheStore Instrument(ICacheStore store) =>
        store.Name == "memory" ? store : new InstrumentedStore(store, this);

    /// <summary>Starts timing (and, with a listener, tracing) one remote call.</summary>
    public OperationScope Start(string operation, string? tenantId) =>
        new(this, operation, tenantId, _duration.Enabled ? Stopwatch.GetTimestamp() : 0, StartActivity(operation, tenantId));

    public void Dispose()
    {
        _disposed = true;
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    internal void Record(OperationScope scope, string? errorType)
    {
        if (scope.StartTimestamp != 0 && _duration.Enabled)
        {
            var tags = new TagList { _backendTag, { CacheDiagnostics.OperationTag, scope.Operation } };
            if (errorType is not null)
            {
                tags.Add(CacheDiagnostics.ErrorTypeTag, errorType);
            }

            _duration.Record(Stopwatch.GetElapsedTime(scope.StartTimestamp).TotalSeconds, tags);
        }
    }

    private Activity? StartActivity(string operation, string? tenantId)
    {
        if (!s_activitySource.HasListeners())
        {
            return null;
        }

        var activity = s_activitySource.StartActivity(operation, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(CacheDiagnostics.BackendTag, BackendName);
            activity.SetTag(CacheDiagnostics.OperationTag, operation);
            if (tenantId is not null)
            {
                activity.SetTag(CacheDiagnostics.TenantTag, tenantId);
            }
        }

        return activity;
    }

    /// <summary>The counter table grouped by instrument, in table order: each instrument with the kinds it reports.</summary>
    private static List<(string Name, (CounterKindInfo Info, CounterInstrument Instrument)[] Kinds)> InstrumentsOf(bool localLevel)
    {
        var byName = new Dictionary<string, List<(CounterKindInfo, CounterInstrument)>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var info in CounterKinds.All)
        {
            foreach (var instrument in info.Instruments)
            {
                if (!localLevel && (info.Section == CounterSection.LocalLevel || instrument.LocalTableOnly))
                {
                    continue;
                }

                if (!byName.TryGetValue(instrument.Name, out var kinds))
                {
                    byName[instrument.Name] = kinds = [];
                    order.Add(instrument.Name);
                }

                kinds.Add((info, instrument));
            }
        }

        return [.. order.Select(name => (name, byName[name].ToArray()))];
    }

    /// <summary>
    /// Every kind reported on one instrument, each with its tag (if it shares the instrument), tenant by tenant; kinds
    /// that report under the same tags (hits of the local level's table and local hits through the store) add up.
    /// </summary>
    private List<Measurement<long>> ObserveInstrument((CounterKindInfo Info, CounterInstrument Instrument)[] kinds)
    {
        var measurements = new List<Measurement<long>>();
        if (_disposed)
        {
            return measurements;
        }

        var sums = new Dictionary<(string? Tag, string? Tenant), long>();
        var order = new List<(string? Tag, string? Tenant)>();
        foreach (var (info, instrument) in kinds)
        {
            var one = info.Scope == CounterScope.WholeCache ? [ObserveWholeCache(info)] : Observe(info, instrument);
            foreach (var measurement in one)
            {
                string? tenant = null;
                foreach (var tag in measurement.Tags)
                {
                    if (tag.Key == CacheDiagnostics.TenantTag)
                    {
                        tenant = (string?)tag.Value;
                    }
                }

                var key = (instrument.TagValue, tenant);
                if (!sums.TryGetValue(key, out var sum))
                {
                    order.Add(key);
                }

                sums[key] = sum + measurement.Value;
            }
        }

        foreach (var key in order)
        {
            var tags = new TagList { _backendTag };
            if (key.Tenant is not null)
            {
                tags.Add(CacheDiagnostics.TenantTag, key.Tenant);
            }

            if (key.Tag is not null)
            {
                tags.Add(kinds.First(k => k.Instrument.TagValue == key.Tag).Instrument.TagName!, key.Tag);
            }

            measurements.Add(new Measurement<long>(sums[key], tags));
        }

        return measurements;
    }

    private Measurement<long> ObserveWholeCache(CounterKindInfo info)
    {
        var table = CounterKinds.OnLocalTable(info.Kind) ? _local : _statistics;
        return new Measurement<long>(table?.Total(info.Kind, null) ?? 0, _backendTag);
    }

    /// <summary>A namespace kind, tenant by tenant, from the tables that count it (the cache's, the local level's).</summary>
    private List<Measurement<long>> Observe(CounterKindInfo info, CounterInstrument instrument)
    {
        var kind = info.Kind;
        var fromCache = !instrument.LocalTableOnly && info.Section != CounterSection.LocalLevel;
        var fromLocal = _local is not null && (instrument.LocalTableOnly || CounterKinds.OnLocalTable(kind));
        return ByTenant(fromCache ? _statistics : null, fromLocal ? _local : null, counters => counters[kind]);
    }

    /// <summary>A gauge of the memory backend's usage, tenant by tenant.</summary>
    private List<Measurement<long>> ObserveUsage(Func<TenantCounters, long> read) =>
        _disposed ? [] : ByTenant(_statistics, null, read);

    /// <summary>
    /// <paramref name="read"/> summed over the tables given: the global namespace's counters add to the untagged
    /// figure, each tenant's to its tag's.
    /// </summary>
    private List<Measurement<long>> ByTenant(CacheCounters? first, CacheCounters? second, Func<TenantCounters, long> read)
    {
        long global = 0;
        Dictionary<string, long>? byTag = null;
        foreach (var table in (ReadOnlySpan<CacheCounters?>)[first, second])
        {
            if (table is null)
            {
                continue;
            }

            foreach (var counters in table.All())
            {
                var value = read(counters);
                if (counters.TenantId is null && !counters.IsUntracked)
                {
                    global += value;
                    continue;
                }

                // The tenants past the lookup-only bound report with the tenants past the tag bound.
                var tag = counters.TenantId is null ? CacheDiagnostics.OtherTenants : _tenants.Tag(counters.TenantId);
                byTag ??= new Dictionary<string, long>(StringComparer.Ordinal);
                byTag[tag] = byTag.GetValueOrDefault(tag) + value;
            }
        }

        var measurements = new List<Measurement<long>> { new(global, _backendTag) };
        if (byTag is not null)
        {
            foreach (var (tag, value) in byTag)
            {
                measurements.Add(new Measurement<long>(value, _backendTag, new(CacheDiagnostics.TenantTag, tag)));
            }
        }

        return measurements;
    }
}
