using System.Collections.Concurrent;

namespace Motadata.Cache.Stats;

/// <summary>
/// Every namespace's counters, plus the counters that belong to the backend as a whole (failures, breaker
/// openings, replays). Shared by the facade, which counts hits and misses, and the store, which counts what only it
/// sees (evictions, expirations, corrupt payloads).
/// </summary>
/// <remarks>
/// Per-tenant state is bounded: a lookup (hit or miss) of a tenant this cache has no counters for creates them only
/// while fewer than <see cref="MaxLookupOnlyTenants"/> tenants are known from lookups alone; past that it counts on
/// <see cref="Untracked"/>, which adds to the whole cache's figures but to no tenant's. <see cref="ReclaimIdle"/>
/// folds away the counters of tenants that only ever missed and have been idle since its last run (their figures
/// restart at zero), so a caller that reads a million tenant ids cannot grow the process.
/// </remarks>
internal sealed class CacheCounters
{
    /// <summary>The most tenants known from lookups alone (no write, no hit) given counters of their own.</summary>
    public const int MaxLookupOnlyTenants = 4096;

    private readonly ConcurrentDictionary<string, TenantCounters> _tenants = new(StringComparer.Ordinal);
    private readonly CounterRow _wholeCache = new();
    private int _lookupOnlyTenants;

    /// <summary>The global namespace's counters (tenant id null).</summary>
    public TenantCounters Global { get; } = new(null);

    /// <summary>
    /// The count of <paramref name="kind"/> over <paramref name="tenantId"/>'s namespace, or with no tenant over the
    /// whole cache (every namespace, plus the whole-cache kinds, which a tenant has none of).
    /// </summary>
    public long Total(CounterKind kind, string? tenantId)
    {
        if (CounterKinds.Of(kind).Scope == CounterScope.WholeCache)
        {
            return tenantId is null ? _wholeCache[kind] : 0;
        }

        if (tenantId is not null)
        {
            return Find(tenantId) is { } one ? one[kind] : 0;
        }

        long total = 0;
        foreach (var counters in All())
        {
            total += counters[kind];
        }

        return total;
    }

    /// <summary>Adds <paramref name="amount"/> to a whole-cache kind (failures, breaker openings, backplane messages, ...).</summary>
    public void Record(CounterKind kind, long amount = 1) => _wholeCache.Add(kind, amount);

    // The named recorders below forward to Record; they stay so the stores' call sites read as sentences.
    public void RecordBackendFailure() => Record(CounterKind.BackendFailures);

    public void RecordBreakerOpening() => Record(CounterKind.BreakerOpenings);

    public void RecordReplayedOperations(long count) => Record(CounterKind.ReplayedOperations, count);

    public void RecordJournalOverflow() => Record(CounterKind.JournalOverflows);

    public void RecordAbandonedRemoval() => Record(CounterKind.AbandonedRemovals);

    public void RecordBackplaneSent() => Record(CounterKind.BackplaneMessagesSent);

    public void RecordBackplaneReceived() => Record(CounterKind.BackplaneMessagesReceived);

    public void RecordBackplaneDropped() => Record(CounterKind.BackplaneMessagesDropped);

    public void RecordLocalFlush() => Record(CounterKind.LocalFlushes);

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

    /// <summary>
    /// Counters that lookups of tenants past <see cref="MaxLookupOnlyTenants"/> count on: part of the whole cache's
    /// figures (listed by <see cref="All"/>), found by no tenant id.
    /// </summary>
    public TenantCounters Untracked { get; } = new(null, untracked: true);

    /// <summary>
    /// Held while a store binds counters to a structure of its own (the memory store's segments), so
    /// <see cref="ReclaimIdle"/> cannot fold away counters that are being bound.
    /// </summary>
    public Lock TenantsLock { get; } = new();

    /// <summary>How many tenants have counters of their own, for tests.</summary>
    internal int TenantCount => _tenants.Count;

    /// <summary>
    /// The counters a lookup of <paramref name="tenantId"/> counts on: the tenant's own if it has them; else new ones
    /// while fewer than <see cref="MaxLookupOnlyTenants"/> tenants are known from lookups alone; else
    /// <see cref="Untracked"/>. A stream of lookups on new tenant ids creates bounded state.
    /// </summary>
    public TenantCounters ForLookup(string? tenantId)
    {
        if (tenantId is null)
        {
            return Global;
        }

        return _tenants.TryGetValue(tenantId, out var counters) ? counters : AddForLookup(tenantId);
    }

    private TenantCounters AddForLookup(string tenantId)
    {
        if (Volatile.Read(ref _lookupOnlyTenants) >= MaxLookupOnlyTenants)
        {
            return Untracked;
        }

        var created = new TenantCounters(tenantId);
        var counters = _tenants.GetOrAdd(tenantId, created);
        if (ReferenceEquals(counters, created))
        {
            Interlocked.Increment(ref _lookupOnlyTenants);
        }

        return counters;
    }

    /// <summary>
    /// Folds away the counters of tenants that hold nothing and did nothing since the last call: only misses ever
    /// counted (no hit, write, eviction or rejected value), no new miss since the last call, and no structure of
    /// <paramref name="isBound"/> (the memory store's segment) pointing at them. Their figures restart at zero if they
    /// come back, while the whole cache's keep them (moved to <see cref="Untracked"/>); a lookup racing with the fold
    /// may count on the folded counters and be lost. Run by the cache's
    /// idle-tenant timer; returns how many were folded.
    /// </summary>
    public int ReclaimIdle(Func<string, bool>? isBound)
    {
        var reclaimed = 0;
        var remaining = 0;
        lock (TenantsLock)
        {
            foreach (var pair in _tenants)
            {
                var counters = pair.Value;
                if (!counters.OnlyMissed)
                {
                    continue;
                }

                var misses = counters.Misses.Sum();
                if (misses != counters.MissesAtLastReclaim || (isBound is not null && isBound(pair.Key)))
                {
                    counters.MissesAtLastReclaim = misses;
                    remaining++;
                    continue;
                }

                if (_tenants.TryRemove(pair))
                {
                    // The whole cache's figures stay monotonic (a Prometheus counter never goes back): the folded
                    // misses move to the shared counters.
                    Untracked.Misses.Add(misses);
                    reclaimed++;
                }
            }

            // Recounted rather than tracked: a tenant known from lookups that later wrote no longer counts.
            Volatile.Write(ref _lookupOnlyTenants, remaining);
        }

        return reclaimed;
    }

    /// <summary>The counters of <paramref name="tenantId"/> if it was ever used, without creating them.</summary>
    public TenantCounters? Find(string? tenantId) =>
        tenantId is null ? Global : _tenants.GetValueOrDefault(tenantId);

    /// <summary>The global namespace's counters, the untracked tenants', and every tenant's.</summary>
    public IEnumerable<TenantCounters> All()
    {
        yield return Global;
        yield return Untracked;
        foreach (var pair in _tenants)
        {
            yield return pair.Value;
        }
    }
}
