namespace Motadata.Cache.Stats;

/// <summary>
/// The counters of one namespace (a tenant, or the global namespace). Hits and misses are striped because every
/// lookup touches them; the rest change rarely enough for a plain interlocked add.
/// </summary>
internal sealed class TenantCounters
{
    private long _sets;
    private long _sizeEvictions;
    private long _memoryEvictions;
    private long _quotaEvictions;
    private long _expirations;
    private long _rejectedValues;
    private long _corruptPayloads;
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
    public bool OnlyMissed =>
        Hits.Sum() == 0 && LocalHitsViaStore.Sum() == 0 && Sets == 0 && Evictions == 0 && Expirations == 0
        && RejectedValues == 0 && CorruptPayloads == 0 && Size == 0;

    public StripedCounter Hits { get; } = new();

    public StripedCounter Misses { get; } = new();

    /// <summary>
    /// Hits the two-level store served from its local level on a path through the store (already counted in
    /// <see cref="Hits"/>); the facade's inlined local hits are counted on the local level's own counters instead.
    /// </summary>
    public StripedCounter LocalHitsViaStore { get; } = new();

    public long Sets => Volatile.Read(ref _sets);

    /// <summary>Entries removed to make room, for any reason.</summary>
    public long Evictions => SizeEvictions + MemoryEvictions + QuotaEvictions;

    /// <summary>Entries evicted because the cache held <see cref="CacheConfig.MaxSize"/> entries.</summary>
    public long SizeEvictions => Volatile.Read(ref _sizeEvictions);

    /// <summary>Entries evicted because the cache held <see cref="CacheConfig.MaxMemoryBytes"/>.</summary>
    public long MemoryEvictions => Volatile.Read(ref _memoryEvictions);

    /// <summary>Entries evicted because their tenant was at its own quota.</summary>
    public long QuotaEvictions => Volatile.Read(ref _quotaEvictions);

    public long Expirations => Volatile.Read(ref _expirations);

    public long RejectedValues => Volatile.Read(ref _rejectedValues);

    public long CorruptPayloads => Volatile.Read(ref _corruptPayloads);

    /// <summary>Entries held (memory backend only; Dragonfly measures on the server).</summary>
    public long Size => Volatile.Read(ref _size);

    /// <summary>Estimated bytes held (memory backend only).</summary>
    public long MemoryBytes => Volatile.Read(ref _memoryBytes);

    public void RecordSet() => Interlocked.Increment(ref _sets);

    public void RecordSets(long count) => Interlocked.Add(ref _sets, count);

    public void RecordEviction(EvictionReason reason)
    {
        switch (reason)
        {
            case EvictionReason.Memory:
                Interlocked.Increment(ref _memoryEvictions);
                break;
            case EvictionReason.TenantQuota:
                Interlocked.Increment(ref _quotaEvictions);
                break;
            default:
                Interlocked.Increment(ref _sizeEvictions);
                break;
        }
    }

    public void RecordExpiration() => Interlocked.Increment(ref _expirations);

    public void RecordRejectedValue() => Interlocked.Increment(ref _rejectedValues);

    public void RecordCorruptPayload() => Interlocked.Increment(ref _corruptPayloads);

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
