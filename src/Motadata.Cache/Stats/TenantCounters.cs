namespace Motadata.Cache.Stats;

/// <summary>
/// The counters of one namespace (a tenant, or the global namespace). Hits and misses are striped because every
/// lookup touches them; the rest change rarely enough for a plain interlocked add.
/// </summary>
internal sealed class TenantCounters
{
    private readonly CounterRow _row = new();
    private long _size;
    private long _memoryBytes;

    public TenantCounters(string? tenantId, bool untracked = false)
    {
        TenantId = tenantId;
        IsUntracked = untracked;
    }

    public string? TenantId { get; }

    /// <summary>The shared counters of tenants past the lookup-only bound (see <see cref="CacheCounters.Untracked"/>).</summary>
    public bool IsUntracked { get; }

    /// <summary>The misses seen by the last <see cref="CacheCounters.ReclaimIdle"/> (written under its lock only).</summary>
    internal long MissesAtLastReclaim { get; set; }

    /// <summary>Nothing but misses was ever counted here: no hit, write, removal, rejected or corrupt value.</summary>
    public bool OnlyMissed
    {
        get
        {
            foreach (var info in CounterKinds.All)
            {
                if (info.Scope == CounterScope.Namespace && info.Kind != CounterKind.Misses && this[info.Kind] != 0)
                {
                    return false;
                }
            }

            return Size == 0;
        }
    }

    public StripedCounter Hits { get; } = new();

    public StripedCounter Misses { get; } = new();

    /// <summary>
    /// On the local level's table: hits the two-level store served from its local level on a path through the store
    /// (the facade counts them as hits too); the facade's inlined local hits are <see cref="Hits"/> of that table.
    /// </summary>
    public StripedCounter LocalHitsViaStore { get; } = new();

    /// <summary>The count of <paramref name="kind"/> (a namespace kind; a whole-cache kind reads 0 here).</summary>
    public long this[CounterKind kind] => kind switch
    {
        CounterKind.Hits => Hits.Sum(),
        CounterKind.Misses => Misses.Sum(),
        CounterKind.LocalHits => LocalHitsViaStore.Sum(),
        _ => _row[kind],
    };

    public long Sets => _row[CounterKind.Sets];

    /// <summary>Entries removed to make room, for any reason.</summary>
    public long Evictions => SizeEvictions + MemoryEvictions + QuotaEvictions;

    /// <summary>Entries evicted because the cache held <see cref="CacheConfig.MaxSize"/> entries.</summary>
    public long SizeEvictions => _row[CounterKind.SizeEvictions];

    /// <summary>Entries evicted because the cache held <see cref="CacheConfig.MaxMemoryBytes"/>.</summary>
    public long MemoryEvictions => _row[CounterKind.MemoryEvictions];

    /// <summary>Entries evicted because their tenant was at its own quota.</summary>
    public long QuotaEvictions => _row[CounterKind.QuotaEvictions];

    public long Expirations => _row[CounterKind.Expirations];

    public long RejectedValues => _row[CounterKind.RejectedValues];

    public long CorruptPayloads => _row[CounterKind.CorruptPayloads];

    /// <summary>Entries held (memory backend only; Dragonfly measures on the server).</summary>
    public long Size => Volatile.Read(ref _size);

    /// <summary>Estimated bytes held (memory backend only).</summary>
    public long MemoryBytes => Volatile.Read(ref _memoryBytes);

    /// <summary>Adds <paramref name="amount"/> to a namespace kind kept in the row (not the striped ones).</summary>
    public void Record(CounterKind kind, long amount = 1) => _row.Add(kind, amount);

    public void RecordSet() => _row.Add(CounterKind.Sets);

    public void RecordSets(long count) => _row.Add(CounterKind.Sets, count);

    public void RecordEviction(EvictionReason reason) => _row.Add(reason switch
    {
        EvictionReason.Memory => CounterKind.MemoryEvictions,
        EvictionReason.TenantQuota => CounterKind.QuotaEvictions,
        _ => CounterKind.SizeEvictions,
    });

    public void RecordExpiration() => _row.Add(CounterKind.Expirations);

    public void RecordRejectedValue() => _row.Add(CounterKind.RejectedValues);

    public void RecordCorruptPayload() => _row.Add(CounterKind.CorruptPayloads);

    public void AddEntry(long bytes)
    {
        Interlocked.Increment(ref _size);
        Interlocked.Add(ref _memoryBytes, bytes);
    }

    public void RemoveEntry(long bytes)
    {
        Interlocked.Decrement(ref _size);
        Interlocked.Add(ref _memoryBytes, -bytes);
    }

    public void AddBytes(long delta) => Interlocked.Add(ref _memoryBytes, delta);
}
