using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;

namespace Motadata.Cache.Server.Telemetry;

/// <summary>
/// The service's own meter: hits, misses, entries and bytes per tenant. At most <c>Service:MaxMetricTenants</c>
/// tenants are reported, which bounds the number of series; with <c>Service:Metrics:TenantLabels</c> off, the whole
/// cache is reported in one series per instrument and no tenant is named. Only tenants the cache accepts are noted,
/// and no failure while reading escapes a collection callback: one bad tenant or one failed read never takes the other
/// series, or the rest of <c>/metrics</c>, down with it. A tenant the cache no longer keeps counters of (folded away
/// as idle, see <c>docs/statistics.md</c>) is dropped at the next collection, freeing its slot.
/// </summary>
/// <remarks>
/// On the memory backend every figure is read at each collection (no server call). On a remote backend a scrape never
/// walks the server: hits and misses are the counters this process keeps (current at every scrape), and entries and
/// bytes come from the last background read, which walks the keyspace once for every tenant together
/// (<see cref="CacheMechanism.GetUsageByTenantAsync"/>, or <see cref="CacheMechanism.GetUsageAsync"/> per tenant when sharded; bytes estimated from a sample of each tenant's keys). That read
/// runs at most one at a time, when the figures are older than <c>Service:Metrics:StatsRefreshInterval</c>, or sooner
/// (at most every <see cref="NewTenantRefreshGap"/>) when tenants were noted since the last one; until a tenant's first
/// read has completed it has no entries or bytes series.
/// </remarks>
internal sealed class ServiceMetrics
{
    /// <summary>The meter's name, for <c>AddMeter</c>.</summary>
    public const string MeterName = "Motadata.Cache.Server";

    /// <summary>The shortest time between two background reads started because new tenants were noted.</summary>
    internal static readonly TimeSpan NewTenantRefreshGap = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, byte> _tenants = new(StringComparer.Ordinal);
    private readonly Meter _meter;
    private readonly CacheMechanism _cache;
    private readonly int _maxTenants;
    private readonly bool _tenantLabels;
    private readonly ILogger<ServiceMetrics> _logger;
    private readonly Lock _snapshotLock = new();
    private readonly long _snapshotAgeMilliseconds;
    private readonly long _newTenantGapMilliseconds;
    private TenantSnapshot[] _usage = [];
    private HashSet<string> _usageTenants = new(StringComparer.Ordinal);
    private long _usageStartedAt;
    private bool _hasUsage;
    private Task? _refreshing;
    private int _overflowLogged;
    private int _failureLogged;

    /// <summary>Creates the meter and its instruments.</summary>
    /// <param name="meterFactory">The host's meter factory.</param>
    /// <param name="cache">The cache whose statistics are reported.</param>
    /// <param name="maxTenants">The most tenants reported one by one.</param>
    /// <param name="tenantLabels">False to report the whole cache in one series per instrument, naming no tenant.</param>
    /// <param name="logger">Where the tenant cap and failed reads are reported.</param>
    /// <param name="refreshInterval">On a remote backend, how old the entries and bytes may get (see <c>Service:Metrics:StatsRefreshInterval</c>).</param>
    public ServiceMetrics(IMeterFactory meterFactory, CacheMechanism cache, int maxTenants, bool tenantLabels, ILogger<ServiceMetrics> logger, TimeSpan? refreshInterval = null)
    {
        _cache = cache;
        _snapshotAgeMilliseconds = (long)(refreshInterval ?? TimeSpan.FromSeconds(30)).TotalMilliseconds;
        _newTenantGapMilliseconds = Math.Min(_snapshotAgeMilliseconds, (long)NewTenantRefreshGap.TotalMilliseconds);
        _maxTenants = maxTenants;
        _tenantLabels = tenantLabels;
        _logger = logger;
        // The factory owns its meters (and may hand the same one out again): it disposes them, not this class.
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableCounter("motadata.cache.server.hits", () => MeasureCounters(static s => s.Hits), "{lookup}", "Cache lookups that found a value, per tenant.");
        _meter.CreateObservableCounter("motadata.cache.server.misses", () => MeasureCounters(static s => s.Misses), "{lookup}", "Cache lookups that found nothing, per tenant.");
        _meter.CreateObservableGauge("motadata.cache.server.entries", () => MeasureUsage(static s => s.Size), "{entry}", "Entries held, per tenant.");
        _meter.CreateObservableGauge("motadata.cache.server.memory", () => MeasureUsage(static s => s.MemoryUsage), "By", "Bytes held, per tenant (an estimate: on the memory backend from the values' sizes, on Dragonfly from a sample of each tenant's keys).");
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
    /// The per-tenant figures <c>/metrics</c> reports, from the same readings (so just as old on Dragonfly, and never a
    /// walk of the server in the call): the operator page's tenant table. Hits and misses are this process's counters;
    /// entries and bytes are read in place on the memory backend, else the last background read's. Empty with
    /// <c>Service:Metrics:TenantLabels</c> off. Never throws; a failed read leaves its tenant out.
    /// </summary>
    /// <returns>Each reported tenant and its statistics.</returns>
    internal IReadOnlyList<KeyValuePair<string, CacheStats>> TenantStatistics()
    {
        try
        {
            var counters = ReadAll()();
            var usage = IsMemory ? counters : UsageSnapshot()();
            var usageByTenant = new Dictionary<string, CacheStats>(usage.Length, StringComparer.Ordinal);
            foreach (var entry in usage)
            {
                if (entry.Tenant is { } tenant)
                {
                    usageByTenant[tenant] = entry.Stats;
                }
            }

            var tenants = new List<KeyValuePair<string, CacheStats>>(counters.Length);
            foreach (var entry in counters)
            {
                if (entry.Tenant is not { } tenant)
                {
                    continue;
                }

                var counted = entry.Stats;
                var held = usageByTenant.GetValueOrDefault(tenant);
                tenants.Add(new(tenant, new CacheStats
                {
                    TenantId = tenant,
                    Hits = counted.Hits,
                    Misses = counted.Misses,
                    Sets = counted.Sets,
                    Size = held?.Size ?? 0,
                    MemoryUsage = held?.MemoryUsage ?? 0,
                    MaxSize = held?.MaxSize ?? counted.MaxSize,
                    MaxMemoryBytes = held?.MaxMemoryBytes ?? counted.MaxMemoryBytes,
                }));
            }

            return tenants;
        }
        catch (Exception exception)
        {
            LogFailure(exception, null);
            return [];
        }
    }

    private bool IsMemory => _cache.Backend == CacheBackend.Memory;

    /// <summary>Hits and misses: the counters this process keeps, read at every collection on every backend (no server call).</summary>
    private List<Measurement<long>> MeasureCounters(Func<CacheStats, long> read) =>
        Measure(read, ReadAll());

    /// <summary>Entries and bytes: read at every collection on the memory backend, else the last background read's.</summary>
    private List<Measurement<long>> MeasureUsage(Func<CacheStats, long> read) =>
        Measure(read, IsMemory ? ReadAll() : UsageSnapshot());

    private List<Measurement<long>> Measure(Func<CacheStats, long> read, Func<TenantSnapshot[]> snapshotOf)
    {
        // The exporter calls every callback in turn; one that throws would cost the scrape more than its own series.
        try
        {
            var snapshot = snapshotOf();
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
    /// Every reported tenant's statistics (or the whole cache's): <see cref="CacheMechanism.GetStats"/> on the memory
    /// backend with its entries and bytes, elsewhere the counters kept in this process: never a server call.
    /// </summary>
    private Func<TenantSnapshot[]> ReadAll() => () =>
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
                if (!_cache.KeepsCountersOf(tenant))
                {
                    // Folded away by the cache (idle, nothing held), or never counted: its slot goes to the next
                    // tenant seen, so tenant ids read once cannot hold every slot for ever.
                    _tenants.TryRemove(tenant, out _);
                    continue;
                }

                Read(tenant, snapshot);
            }
        }

        return [.. snapshot];
    };

    /// <summary>
    /// The last background read of entries and bytes (remote backend); starts the next one when it is due and none is
    /// running. Never waits for the server.
    /// </summary>
    private Func<TenantSnapshot[]> UsageSnapshot() => () =>
    {
        lock (_snapshotLock)
        {
            if (_refreshing is null or { IsCompleted: true })
            {
                var now = Environment.TickCount64;
                var age = now - _usageStartedAt;
                var due = !_hasUsage
                    || age >= _snapshotAgeMilliseconds
                    || (_tenantLabels && HasUnreadTenants() && age >= _newTenantGapMilliseconds);
                if (due)
                {
                    RefreshInBackground(now);
                }
            }

            // A tenant dropped since the read (folded away by the cache) is no longer reported.
            return _tenantLabels ? Array.FindAll(_usage, entry => entry.Tenant is null || _tenants.ContainsKey(entry.Tenant)) : _usage;
        }
    };

    private bool HasUnreadTenants()
    {
        foreach (var tenant in _tenants.Keys)
        {
            if (!_usageTenants.Contains(tenant))
            {
                return true;
            }
        }

        return false;
    }

    private void RefreshInBackground(long now)
    {
        // Marked as started now, so the next scrapes do not start another read while this one runs.
        _usageStartedAt = now;
        var tenants = new HashSet<string>(_tenants.Keys, StringComparer.Ordinal);
        _refreshing = Task.Run(async () =>
        {
            var snapshot = await ReadUsageAsync(tenants).ConfigureAwait(false);
            if (snapshot is null)
            {
                return;
            }

            lock (_snapshotLock)
            {
                _usage = snapshot;
                _usageTenants = tenants;
                _hasUsage = true;
            }
        });
    }

    /// <summary>One background read: one walk of the server for every tenant together; null when it failed (logged).</summary>
    private async Task<TenantSnapshot[]?> ReadUsageAsync(HashSet<string> tenants)
    {
        try
        {
            if (!_tenantLabels)
            {
                return [new TenantSnapshot(null, Held(await _cache.GetUsageAsync().ConfigureAwait(false)))];
            }

            var snapshot = new List<TenantSnapshot>(tenants.Count);
            if (await _cache.GetUsageByTenantAsync(tenants, CancellationToken.None).ConfigureAwait(false) is { } usage)
            {
                foreach (var tenant in tenants)
                {
                    var found = usage.GetValueOrDefault(tenant);
                    snapshot.Add(new TenantSnapshot(tenant, new CacheStats { TenantId = tenant, Size = found.Size, MemoryUsage = found.MemoryBytes }));
                }

                return [.. snapshot];
            }

            // A sharded backend: a walk per tenant, one after another (each admitted and paced by its shard's client).
            foreach (var tenant in tenants)
            {
                try
                {
                    snapshot.Add(new TenantSnapshot(tenant, Held(await _cache.GetUsageAsync(tenant).ConfigureAwait(false))));
                }
                catch (ArgumentException exception)
                {
                    _tenants.TryRemove(tenant, out _);
                    LogFailure(exception, tenant);
                }
            }

            return [.. snapshot];
        }
        catch (Exception exception)
        {
            LogFailure(exception, null);
            return null;
        }
    }

    /// <summary>A measured usage as the entries and bytes of a snapshot.</summary>
    private static CacheStats Held(CacheUsage usage) =>
        new() { TenantId = usage.TenantId, Size = usage.Size, MemoryUsage = usage.MemoryUsage };

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

    private void Read(string? tenant, List<TenantSnapshot> snapshot)
    {
        try
        {
            // GetStats reads counters only (and the memory backend's in-process usage): never a server call.
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
