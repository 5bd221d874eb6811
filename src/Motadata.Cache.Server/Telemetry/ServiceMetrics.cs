using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Motadata.Cache.Server.Telemetry;

/// <summary>
/// The service's own meter: hits, misses, entries and bytes per tenant, read from <see cref="CacheMechanism.GetStats"/>
/// when metrics are collected, so the request path pays only for noting the tenant. At most
/// <c>Service:MaxMetricTenants</c> tenants are reported, which bounds the number of series.
/// </summary>
internal sealed class ServiceMetrics
{
    /// <summary>The meter's name, for <c>AddMeter</c>.</summary>
    public const string MeterName = "Motadata.Cache.Server";

    private static readonly TimeSpan SnapshotAge = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, byte> _tenants = new(StringComparer.Ordinal);
    private readonly Meter _meter;
    private readonly CacheMechanism _cache;
    private readonly int _maxTenants;
    private readonly ILogger<ServiceMetrics> _logger;
    private readonly Lock _snapshotLock = new();
    private TenantSnapshot[] _snapshot = [];
    private long _snapshotTakenAt;
    private int _overflowLogged;

    /// <summary>Creates the meter and its instruments.</summary>
    /// <param name="meterFactory">The host's meter factory.</param>
    /// <param name="cache">The cache whose statistics are reported.</param>
    /// <param name="maxTenants">The most tenants reported one by one.</param>
    /// <param name="logger">Where the tenant cap is reported once reached.</param>
    public ServiceMetrics(IMeterFactory meterFactory, CacheMechanism cache, int maxTenants, ILogger<ServiceMetrics> logger)
    {
        _cache = cache;
        _maxTenants = maxTenants;
        _logger = logger;
        // The factory owns its meters (and may hand the same one out again): it disposes them, not this class.
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableCounter("motadata.cache.server.hits", () => Measure(static s => s.Hits), "{lookup}", "Cache lookups that found a value, per tenant.");
        _meter.CreateObservableCounter("motadata.cache.server.misses", () => Measure(static s => s.Misses), "{lookup}", "Cache lookups that found nothing, per tenant.");
        _meter.CreateObservableGauge("motadata.cache.server.entries", () => Measure(static s => s.Size), "{entry}", "Entries held, per tenant.");
        _meter.CreateObservableGauge("motadata.cache.server.memory", () => Measure(static s => s.MemoryUsage), "By", "Bytes held, per tenant (an estimate on the memory backend).");
    }

    /// <summary>Notes that <paramref name="tenant"/> was used, so its figures are reported; free after the first time.</summary>
    /// <param name="tenant">The tenant of an authorized request.</param>
    public void TrackTenant(string tenant)
    {
        if (_tenants.ContainsKey(tenant))
        {
            return;
        }

        if (_tenants.Count >= _maxTenants)
        {
            if (Interlocked.Exchange(ref _overflowLogged, 1) == 0)
            {
                _logger.LogWarning("More than {MaxMetricTenants} tenants are in use; tenants past that are served but not reported in /metrics (raise Service:MaxMetricTenants to report more).", _maxTenants);
            }

            return;
        }

        _tenants.TryAdd(tenant, 0);
    }

    private List<Measurement<long>> Measure(Func<CacheStats, long> read)
    {
        var snapshot = Snapshot();
        var measurements = new List<Measurement<long>>(snapshot.Length);
        foreach (var tenant in snapshot)
        {
            measurements.Add(new Measurement<long>(read(tenant.Stats), new KeyValuePair<string, object?>("tenant", tenant.Tenant)));
        }

        return measurements;
    }

    /// <summary>One statistics read per tenant per collection, shared by the four instruments.</summary>
    private TenantSnapshot[] Snapshot()
    {
        lock (_snapshotLock)
        {
            var now = Environment.TickCount64;
            if (now - _snapshotTakenAt < SnapshotAge.TotalMilliseconds && _snapshot.Length == _tenants.Count)
            {
                return _snapshot;
            }

            var snapshot = new List<TenantSnapshot>(_tenants.Count);
            foreach (var tenant in _tenants.Keys)
            {
                try
                {
                    snapshot.Add(new TenantSnapshot(tenant, _cache.GetStats(tenant)));
                }
                catch (CacheBackendException exception)
                {
                    _logger.LogWarning(exception, "Could not read the statistics of tenant {Tenant} for /metrics.", tenant);
                }
            }

            _snapshot = [.. snapshot];
            _snapshotTakenAt = now;
            return _snapshot;
        }
    }

    private readonly record struct TenantSnapshot(string Tenant, CacheStats Stats);
}
