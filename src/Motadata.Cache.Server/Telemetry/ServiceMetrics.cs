using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace Motadata.Cache.Server.Telemetry;

/// <summary>
/// The service's own meter: hits, misses, entries and bytes per tenant, read from <see cref="CacheMechanism.GetStats"/>
/// when metrics are collected, so the request path pays only for noting the tenant. At most
/// <c>Service:MaxMetricTenants</c> tenants are reported, which bounds the number of series; with
/// <c>Service:Metrics:TenantLabels</c> off, the whole cache is reported in one series and no tenant is named.
/// Only tenants the cache accepts are noted, and no failure while reading escapes a collection callback: one bad
/// tenant or one failed read never takes the other series, or the rest of <c>/metrics</c>, down with it.
/// </summary>
internal sealed class ServiceMetrics
{
    /// <summary>The meter's name, for <c>AddMeter</c>.</summary>
    public const string MeterName = "Motadata.Cache.Server";

    private readonly ConcurrentDictionary<string, byte> _tenants = new(StringComparer.Ordinal);
    private readonly Meter _meter;
    private readonly CacheMechanism _cache;
    private readonly int _maxTenants;
    private readonly bool _tenantLabels;
    private readonly ILogger<ServiceMetrics> _logger;
    private readonly Lock _snapshotLock = new();
    private readonly long _snapshotAgeMilliseconds;
    private TenantSnapshot[] _snapshot = [];
    private long _snapshotTakenAt;
    private bool _hasSnapshot;
    private Task? _refreshing;
    private readonly HashSet<string> _readInPlace = new(StringComparer.Ordinal);
    private int _overflowLogged;
    private int _failureLogged;

    /// <summary>Creates the meter and its instruments.</summary>
    /// <param name="meterFactory">The host's meter factory.</param>
    /// <param name="cache">The cache whose statistics are reported.</param>
    /// <param name="maxTenants">The most tenants reported one by one.</param>
    /// <param name="tenantLabels">False to report the whole cache in one series per instrument, naming no tenant.</param>
    /// <param name="logger">Where the tenant cap and failed reads are reported.</param>
    /// <param name="refreshInterval">On a remote backend, how old the figures may get (see <c>Service:Metrics:StatsRefreshInterval</c>).</param>
    public ServiceMetrics(IMeterFactory meterFactory, CacheMechanism cache, int maxTenants, bool tenantLabels, ILogger<ServiceMetrics> logger, TimeSpan? refreshInterval = null)
    {
        _cache = cache;
        _snapshotAgeMilliseconds = (long)(refreshInterval ?? TimeSpan.FromSeconds(30)).TotalMilliseconds;
        _maxTenants = maxTenants;
        _tenantLabels = tenantLabels;
        _logger = logger;
        // The factory owns its meters (and may hand the same one out again): it disposes them, not this class.
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableCounter("motadata.cache.server.hits", () => Measure(static s => s.Hits), "{lookup}", "Cache lookups that found a value, per tenant.");
        _meter.CreateObservableCounter("motadata.cache.server.misses", () => Measure(static s => s.Misses), "{lookup}", "Cache lookups that found nothing, per tenant.");
        _meter.CreateObservableGauge("motadata.cache.server.entries", () => Measure(static s => s.Size), "{entry}", "Entries held, per tenant.");
        _meter.CreateObservableGauge("motadata.cache.server.memory", () => Measure(static s => s.MemoryUsage), "By", "Bytes held, per tenant (an estimate on the memory backend).");
    }

    /// <summary>
    /// Notes that <paramref name="tenant"/> was used, so its figures are reported; free after the first time. A tenant
    /// the cache would refuse (empty, over <see cref="CacheConfig.MaxTenantIdLength"/>, a lone surrogate) is not noted.
    /// </summary>
    /// <param name="tenant">The tenant of an authorized request.</param>
    public void TrackTenant(string tenant)
    {
        if (!_tenantLabels || _tenants.ContainsKey(tenant) || !IsValidTenant(tenant))
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

    private static bool IsValidTenant(string tenant)
    {
        if (tenant.Length is 0 or > CacheConfig.MaxTenantIdLength)
        {
            return false;
        }

        // Well-formed UTF-16, as the cache requires: no lone surrogate.
        for (var i = 0; i < tenant.Length; i++)
        {
            if (Rune.DecodeFromUtf16(tenant.AsSpan(i), out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }

            i += consumed - 1;
        }

        return true;
    }

    /// <summary>
    /// The per-tenant figures <c>/metrics</c> reports, from the same snapshot (so just as old on Dragonfly, and read
    /// without a scan of the server after the first time): the operator page's tenant table. Empty with
    /// <c>Service:Metrics:TenantLabels</c> off. Never throws; a failed read leaves its tenant out.
    /// </summary>
    /// <returns>Each reported tenant and its statistics.</returns>
    internal IReadOnlyList<KeyValuePair<string, CacheStats>> TenantStatistics()
    {
        try
        {
            var snapshot = Snapshot();
            var tenants = new List<KeyValuePair<string, CacheStats>>(snapshot.Length);
            foreach (var entry in snapshot)
            {
                if (entry.Tenant is { } tenant)
                {
                    tenants.Add(new(tenant, entry.Stats));
                }
            }

            return tenants;
        }
        catch (Exception exception)
        {
            LogFailure(exception, null);
            return [];
        }
    }

    private List<Measurement<long>> Measure(Func<CacheStats, long> read)
    {
        // The exporter calls every callback in turn; one that throws would cost the scrape more than its own series.
        try
        {
            var snapshot = Snapshot();
            var measurements = new List<Measurement<long>>(snapshot.Length);
            foreach (var tenant in snapshot)
            {
                measurements.Add(tenant.Tenant is null
                    ? new Measurement<long>(read(tenant.Stats))
                    : new Measurement<long>(read(tenant.Stats), new KeyValuePair<string, object?>("tenant", tenant.Tenant)));
            }

            return measurements;
        }
        catch (Exception exception)
        {
            LogFailure(exception, null);
            return [];
        }
    }

    /// <summary>
    /// One statistics read per tenant. The memory backend's is read at every collection (it costs no server call). A remote backend's is read in the scrape only the first time, and for a tenant the first time it is
    /// seen; after that, once older than the refresh interval, it is read again in the background while scrapes keep
    /// the last one, so no scrape waits for a scan of the server.
    /// </summary>
    private TenantSnapshot[] Snapshot()
    {
        lock (_snapshotLock)
        {
            var now = Environment.TickCount64;
            var expected = _tenantLabels ? _tenants.Count : 1;
            var fresh = now - _snapshotTakenAt < _snapshotAgeMilliseconds;
            if (_cache.Backend == CacheBackend.Memory || !_hasSnapshot)
            {
                // The memory backend's figures cost no server call: read at every collection, so no collection
                // (another exporter's in this process, say) can leave a later scrape with old figures.
                if (_cache.Backend == CacheBackend.Memory || !fresh || _snapshot.Length != expected || !_hasSnapshot)
                {
                    Publish(ReadAll(), now);
                }
            }
            else
            {
                if (_snapshot.Length < expected)
                {
                    // Tenants first seen since the last read (or a read that another exporter in this process
                    // triggered before this host's requests) are read now, in place: only those, once each; the
                    // others keep their figures until the background refresh.
                    AddNewTenants();
                }

                if (!fresh && _refreshing is null or { IsCompleted: true })
                {
                    RefreshInBackground(now);
                }
            }

            return _snapshot;
        }
    }

    private void AddNewTenants()
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in _snapshot)
        {
            if (entry.Tenant is not null)
            {
                known.Add(entry.Tenant);
            }
        }

        var snapshot = new List<TenantSnapshot>(_snapshot);
        foreach (var tenant in _tenants.Keys)
        {
            // Once each: a tenant whose read failed waits for the background refresh, not for every scrape.
            if (!known.Contains(tenant) && _readInPlace.Add(tenant))
            {
                Read(tenant, snapshot);
            }
        }

        _snapshot = [.. snapshot];
    }

    private void RefreshInBackground(long now)
    {
        // Marked as taken now, so the next scrapes do not start another read while this one runs.
        _snapshotTakenAt = now;
        _refreshing = Task.Run(() =>
        {
            var snapshot = ReadAll();
            lock (_snapshotLock)
            {
                Publish(snapshot, Environment.TickCount64);
            }
        });
    }

    /// <summary>The background read in progress or last finished, if any (tests wait for it).</summary>
    internal Task? Refreshing
    {
        get
        {
            lock (_snapshotLock)
            {
                return _refreshing;
            }
        }
    }

    private void Publish(TenantSnapshot[] snapshot, long takenAt)
    {
        _snapshot = snapshot;
        _snapshotTakenAt = takenAt;
        _hasSnapshot = true;
    }

    private TenantSnapshot[] ReadAll()
    {
        var snapshot = new List<TenantSnapshot>(_tenantLabels ? _tenants.Count : 1);
        if (!_tenantLabels)
        {
            Read(null, snapshot);
        }
        else
        {
            foreach (var tenant in _tenants.Keys)
            {
                Read(tenant, snapshot);
            }
        }

        return [.. snapshot];
    }

    private void Read(string? tenant, List<TenantSnapshot> snapshot)
    {
        try
        {
            snapshot.Add(new TenantSnapshot(tenant, _cache.GetStats(tenant)));
        }
        catch (ArgumentException exception) when (tenant is not null)
        {
            // The cache refuses this tenant: it can never be read, so stop asking.
            _tenants.TryRemove(tenant, out _);
            LogFailure(exception, tenant);
        }
        catch (Exception exception)
        {
            LogFailure(exception, tenant);
        }
    }

    private void LogFailure(Exception exception, string? tenant)
    {
        if (exception is CacheBackendException)
        {
            _logger.LogWarning(exception, "Could not read the statistics of tenant {Tenant} for /metrics.", tenant ?? "(all)");
        }
        else if (Interlocked.Exchange(ref _failureLogged, 1) == 0)
        {
            // Logged once: a scrape every few seconds would otherwise repeat it for as long as the cause lasts.
            _logger.LogError(exception, "Reading statistics for /metrics failed (tenant {Tenant}); those series are left out until it works again.", tenant ?? "(all)");
        }
    }

    private readonly record struct TenantSnapshot(string? Tenant, CacheStats Stats);
}
