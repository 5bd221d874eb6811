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
    private readonly TenantTagGuard _tenants;
    private readonly KeyValuePair<string, object?> _backendTag;
    private readonly Histogram<double> _duration;
    private volatile bool _disposed;

    public CacheTelemetry(CacheConfig config, string backendName, CacheCounters statistics, int maxTenantTags = CacheDiagnostics.MaxTenantTags)
    {
        _statistics = statistics;
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

        _meter.CreateObservableCounter(CacheDiagnostics.Hits, () => Observe(static c => c.Hits.Sum(), static c => c.Hits.Sum()), "{lookup}", "Lookups that found a value.");
        if (statistics.Local is not null)
        {
            // The two-level store: where hits came from, what the backplane carried, and the flushes for safety.
            _meter.CreateObservableCounter(CacheDiagnostics.LocalHits, () => Observe(static c => c.LocalHitsViaStore.Sum(), static c => c.Hits.Sum()), "{lookup}", "Lookups the in-process local level answered (part of motadata.cache.hits).");
            _meter.CreateObservableCounter(CacheDiagnostics.BackplaneMessages, ObserveBackplane, "{message}", "Backplane messages, by direction (sent, received, dropped).");
            _meter.CreateObservableCounter(CacheDiagnostics.LocalFlushes, () => new Measurement<long>(_statistics.LocalFlushes, _backendTag), "{flush}", "Times the local level was emptied because an invalidation may have been missed.");
        }

        _meter.CreateObservableCounter(CacheDiagnostics.Misses, () => Observe(static c => c.Misses.Sum()), "{lookup}", "Lookups that found nothing.");
        _meter.CreateObservableCounter(CacheDiagnostics.Sets, () => Observe(static c => c.Sets), "{entry}", "Values stored.");
        _meter.CreateObservableCounter(CacheDiagnostics.Evictions, ObserveEvictions, "{entry}", "Entries removed by the cache, by reason (size, memory, tenant_quota, expired).");
        _meter.CreateObservableCounter(CacheDiagnostics.Expirations, () => Observe(static c => c.Expirations), "{entry}", "Entries removed because their TTL ran out.");
        _meter.CreateObservableCounter(CacheDiagnostics.Errors, ObserveErrors, "{error}", "Backend failures, corrupt payloads and rejected values.");
        if (backendName == "memory")
        {
            // A remote backend's size lives on the server; asking it from a metrics callback would block the collector.
            _meter.CreateObservableGauge(CacheDiagnostics.Size, () => Observe(static c => c.Size), "{entry}", "Entries held.");
            _meter.CreateObservableGauge(CacheDiagnostics.MemoryUsage, () => Observe(static c => c.MemoryBytes), "By", "Estimated bytes held.");
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

    private List<Measurement<long>> Observe(Func<TenantCounters, long> read, Func<TenantCounters, long>? readLocal = null)
    {
        var measurements = new List<Measurement<long>>();
        if (_disposed)
        {
            return measurements;
        }

        long global = 0;
        Dictionary<string, long>? byTag = null;
        Sum(_statistics.All(), read);
        if (readLocal is not null && _statistics.Local is { } local)
        {
            Sum(local.All(), readLocal);
        }

        measurements.Add(new Measurement<long>(global, _backendTag));
        if (byTag is not null)
        {
            foreach (var (tag, value) in byTag)
            {
                measurements.Add(new Measurement<long>(value, _backendTag, new(CacheDiagnostics.TenantTag, tag)));
            }
        }

        return measurements;

        // The global namespace's counters add to the untagged figure, each tenant's to its tag's.
        void Sum(IEnumerable<TenantCounters> all, Func<TenantCounters, long> readOne)
        {
            foreach (var counters in all)
            {
                var value = readOne(counters);
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
    }

    private static Measurement<long> WithTag(Measurement<long> measurement, string name, string value)
    {
        var tags = new TagList();
        foreach (var tag in measurement.Tags)
        {
            tags.Add(tag);
        }

        tags.Add(name, value);
        return new Measurement<long>(measurement.Value, tags);
    }

    private List<Measurement<long>> ObserveEvictions()
    {
        var measurements = new List<Measurement<long>>();
        if (_disposed)
        {
            return measurements;
        }

        Add(measurements, Observe(static c => c.SizeEvictions), "size");
        Add(measurements, Observe(static c => c.MemoryEvictions), "memory");
        Add(measurements, Observe(static c => c.QuotaEvictions), "tenant_quota");
        Add(measurements, Observe(static c => c.Expirations), "expired");
        return measurements;

        static void Add(List<Measurement<long>> measurements, List<Measurement<long>> byTenant, string reason)
        {
            foreach (var measurement in byTenant)
            {
                measurements.Add(WithTag(measurement, CacheDiagnostics.EvictionReasonTag, reason));
            }
        }
    }

    private List<Measurement<long>> ObserveBackplane()
    {
        var measurements = new List<Measurement<long>>();
        if (_disposed)
        {
            return measurements;
        }

        measurements.Add(new Measurement<long>(_statistics.BackplaneMessagesSent, _backendTag, new(CacheDiagnostics.BackplaneDirectionTag, "sent")));
        measurements.Add(new Measurement<long>(_statistics.BackplaneMessagesReceived, _backendTag, new(CacheDiagnostics.BackplaneDirectionTag, "received")));
        measurements.Add(new Measurement<long>(_statistics.BackplaneMessagesDropped, _backendTag, new(CacheDiagnostics.BackplaneDirectionTag, "dropped")));
        return measurements;
    }

    private List<Measurement<long>> ObserveErrors()
    {
        var measurements = new List<Measurement<long>>();
        if (_disposed)
        {
            return measurements;
        }

        measurements.Add(new Measurement<long>(_statistics.BackendFailures, _backendTag, new(CacheDiagnostics.ErrorTypeTag, "backend_failure")));
        measurements.Add(new Measurement<long>(_statistics.JournalOverflows, _backendTag, new(CacheDiagnostics.ErrorTypeTag, "journal_overflow")));
        measurements.Add(new Measurement<long>(_statistics.AbandonedRemovals, _backendTag, new(CacheDiagnostics.ErrorTypeTag, "abandoned_removal")));
        foreach (var corrupt in Observe(static c => c.CorruptPayloads))
        {
            measurements.Add(WithTag(corrupt, CacheDiagnostics.ErrorTypeTag, "corrupt_payload"));
        }

        foreach (var rejected in Observe(static c => c.RejectedValues))
        {
            measurements.Add(WithTag(rejected, CacheDiagnostics.ErrorTypeTag, "rejected_value"));
        }

        return measurements;
    }
}
