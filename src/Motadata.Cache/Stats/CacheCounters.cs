using System.Collections.Concurrent;

namespace Motadata.Cache.Stats;

/// <summary>
/// Every namespace's counters, plus the counters that belong to the backend as a whole (failures, breaker
/// openings, replays). Shared by the facade, which counts hits and misses, and the store, which counts what only it
/// sees (evictions, expirations, corrupt payloads).
/// </summary>
internal sealed class CacheCounters
{
    private readonly ConcurrentDictionary<string, TenantCounters> _tenants = new(StringComparer.Ordinal);
    private long _backendFailures;
    private long _breakerOpenings;
    private long _replayedOperations;
    private long _journalOverflows;
    private long _abandonedRemovals;

    /// <summary>The global namespace's counters (tenant id null).</summary>
    public TenantCounters Global { get; } = new(null);

    public long BackendFailures => Volatile.Read(ref _backendFailures);

    public long BreakerOpenings => Volatile.Read(ref _breakerOpenings);

    public long ReplayedOperations => Volatile.Read(ref _replayedOperations);

    public long JournalOverflows => Volatile.Read(ref _journalOverflows);

    public long AbandonedRemovals => Volatile.Read(ref _abandonedRemovals);

    /// <summary>The counters of <paramref name="tenantId"/>, created on first use.</summary>
    public TenantCounters For(string? tenantId)
    {
        if (tenantId is null)
        {
            return Global;
        }

        return _tenants.TryGetValue(tenantId, out var counters)
            ? counters
            : _tenants.GetOrAdd(tenantId, static id => new TenantCounters(id));
    }

    /// <summary>The counters of <paramref name="tenantId"/> if it was ever used, without creating them.</summary>
    public TenantCounters? Find(string? tenantId) =>
        tenantId is null ? Global : _tenants.GetValueOrDefault(tenantId);

    /// <summary>The global namespace's counters followed by every tenant's.</summary>
    public IEnumerable<TenantCounters> All()
    {
        yield return Global;
        foreach (var pair in _tenants)
        {
            yield return pair.Value;
        }
    }

    public void RecordBackendFailure() => Interlocked.Increment(ref _backendFailures);

    public void RecordBreakerOpening() => Interlocked.Increment(ref _breakerOpenings);

    public void RecordReplayedOperations(long count) => Interlocked.Add(ref _replayedOperations, count);

    public void RecordJournalOverflow() => Interlocked.Increment(ref _journalOverflows);

    public void RecordAbandonedRemoval() => Interlocked.Increment(ref _abandonedRemovals);
}
