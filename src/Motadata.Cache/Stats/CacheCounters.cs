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
    private long _backplaneSent;
    private long _backplaneReceived;
    private long _backplaneDropped;
    private long _localFlushes;

    /// <summary>The global namespace's counters (tenant id null).</summary>
    public TenantCounters Global { get; } = new(null);

    public long BackendFailures => Volatile.Read(ref _backendFailures);

    public long BreakerOpenings => Volatile.Read(ref _breakerOpenings);

    public long ReplayedOperations => Volatile.Read(ref _replayedOperations);

    public long JournalOverflows => Volatile.Read(ref _journalOverflows);

    public long AbandonedRemovals => Volatile.Read(ref _abandonedRemovals);

    public long BackplaneMessagesSent => Volatile.Read(ref _backplaneSent);

    public long BackplaneMessagesReceived => Volatile.Read(ref _backplaneReceived);

    public long BackplaneMessagesDropped => Volatile.Read(ref _backplaneDropped);

    public long LocalFlushes => Volatile.Read(ref _localFlushes);

    /// <summary>The local level's own counters (two-level store): its hits on the facade's inlined path; null without a local level.</summary>
    public CacheCounters? Local { get; set; }

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

    public void RecordBackplaneSent() => Interlocked.Increment(ref _backplaneSent);

    public void RecordBackplaneReceived() => Interlocked.Increment(ref _backplaneReceived);

    public void RecordBackplaneDropped() => Interlocked.Increment(ref _backplaneDropped);

    public void RecordLocalFlush() => Interlocked.Increment(ref _localFlushes);
}
