using Motadata.Cache.Stats;

namespace Motadata.Cache;

/// <summary>
/// A snapshot of a cache's statistics, for one tenant or for the whole cache: the seed's figures (hits, misses, size,
/// memory use, hit rate), the counts every backend keeps (sets, evictions, expirations, rejected and corrupt values),
/// and optional sections that are null when their feature is off (<see cref="LocalLevel"/>, <see cref="Recovery"/>,
/// <see cref="Dragonfly"/>). Counts are exact: each one is the sum of every operation recorded before the snapshot
/// was taken. <see cref="CacheMechanism.GetStats"/> reads counters only; a remote backend's <see cref="Size"/> and
/// <see cref="MemoryUsage"/> come from the server (<see cref="CacheMechanism.GetUsageAsync"/>,
/// <see cref="CacheMechanism.GetStatsAsync"/>).
/// </summary>
public sealed class CacheStats
{
    // One count per CounterKind: the properties below and the sections are views of this table.
    private readonly long[] _counts = new long[CounterKinds.Count];
    private long? _evictions;

    /// <summary>An empty snapshot, to fill with the init-only properties.</summary>
    public CacheStats()
    {
    }

    internal CacheStats(string? tenantId, long[] counts, CounterSection[] sections, long localSize, long localMemoryBytes)
    {
        TenantId = tenantId;
        counts.CopyTo(_counts, 0);
        foreach (var section in sections)
        {
            switch (section)
            {
                case CounterSection.LocalLevel:
                    LocalLevel = new LocalLevelStats(this) { Size = localSize, MemoryUsage = localMemoryBytes };
                    break;
                case CounterSection.Recovery:
                    Recovery = new RecoveryStats(this);
                    break;
                case CounterSection.Dragonfly:
                    Dragonfly = new DragonflyStats(this);
                    break;
            }
        }
    }

    /// <summary>The count of <paramref name="kind"/> in this snapshot.</summary>
    internal long this[CounterKind kind] => _counts[(int)kind];

    /// <summary>The tenant these figures are for; null for the whole cache.</summary>
    public string? TenantId { get; init; }

    /// <summary>Lookups that found a value (on the local level too, when there is one).</summary>
    public long Hits { get => this[CounterKind.Hits]; init => _counts[(int)CounterKind.Hits] = value; }

    /// <summary>Lookups that found nothing (including expired, corrupt and unreadable values, and lookups during an outage).</summary>
    public long Misses { get => this[CounterKind.Misses]; init => _counts[(int)CounterKind.Misses] = value; }

    /// <summary>
    /// Entries currently held. On the memory backend, expired entries not yet reclaimed count until the background scan
    /// removes them. On Dragonfly the server holds the entries: <see cref="CacheMechanism.GetStats"/> leaves this 0 and
    /// <see cref="CacheMechanism.GetStatsAsync"/> and <see cref="CacheMechanism.GetUsageAsync"/> ask the server.
    /// </summary>
    public long Size { get; init; }

    /// <summary>
    /// Bytes held: an estimate on the memory backend (see <see cref="CacheConfig.MaxMemoryBytes"/>), the server's own
    /// <c>MEMORY USAGE</c> figures on Dragonfly (measured as <see cref="Size"/> is).
    /// </summary>
    public long MemoryUsage { get; init; }

    /// <summary>
    /// <see cref="Size"/> and <see cref="MemoryUsage"/> server by server on the Dragonfly backend: one entry per node
    /// (a single server, every primary of a Redis Cluster, or every shard with <see cref="CacheConfig.EnableSharding"/>);
    /// empty on the memory backend, and when the server was not asked (<see cref="CacheMechanism.GetStats"/>).
    /// </summary>
    /// <value>Default empty.</value>
    public IReadOnlyList<CacheNodeStats> Nodes { get; init; } = [];

    /// <summary><see cref="Hits"/> over all lookups, from 0 to 1; 0 when nothing was looked up.</summary>
    public double HitRate => HitRatio.Of(Hits, Misses);

    /// <summary>Values stored (by <c>Set</c>, <c>WarmCache</c> and <c>GetOrSetAsync</c>).</summary>
    public long Sets { get => this[CounterKind.Sets]; init => _counts[(int)CounterKind.Sets] = value; }

    /// <summary>Entries removed to make room (memory backend): for the cache's entry or byte bound, or a tenant's quota.</summary>
    public long Evictions
    {
        get => _evictions ?? SizeEvictions + MemoryEvictions + QuotaEvictions;
        init => _evictions = value;
    }

    /// <summary>Of <see cref="Evictions"/>, entries evicted because the cache held <see cref="CacheConfig.MaxSize"/> entries.</summary>
    public long SizeEvictions { get => this[CounterKind.SizeEvictions]; init => _counts[(int)CounterKind.SizeEvictions] = value; }

    /// <summary>Of <see cref="Evictions"/>, entries evicted because the cache held <see cref="CacheConfig.MaxMemoryBytes"/>.</summary>
    public long MemoryEvictions { get => this[CounterKind.MemoryEvictions]; init => _counts[(int)CounterKind.MemoryEvictions] = value; }

    /// <summary>Of <see cref="Evictions"/>, entries a tenant evicted because it was at its own quota (memory backend).</summary>
    public long QuotaEvictions { get => this[CounterKind.QuotaEvictions]; init => _counts[(int)CounterKind.QuotaEvictions] = value; }

    /// <summary>
    /// The most entries this scope may hold on the memory backend: <see cref="CacheConfig.MaxSize"/> for the whole
    /// cache, the tenant's quota for a tenant (null when it has none, and on Dragonfly).
    /// </summary>
    public long? MaxSize { get; init; }

    /// <summary>
    /// The most bytes this scope may hold on the memory backend: <see cref="CacheConfig.MaxMemoryBytes"/> for the whole
    /// cache, the tenant's byte quota for a tenant (null when there is none, and on Dragonfly).
    /// </summary>
    public long? MaxMemoryBytes { get; init; }

    /// <summary>Entries removed because their TTL ran out (memory backend).</summary>
    public long Expirations { get => this[CounterKind.Expirations]; init => _counts[(int)CounterKind.Expirations] = value; }

    /// <summary>Values refused because they were larger than the configured limit.</summary>
    public long RejectedValues { get => this[CounterKind.RejectedValues]; init => _counts[(int)CounterKind.RejectedValues] = value; }

    /// <summary>Values read back that failed validation or could not be deserialized, and were removed.</summary>
    public long CorruptPayloads { get => this[CounterKind.CorruptPayloads]; init => _counts[(int)CounterKind.CorruptPayloads] = value; }

    /// <summary>The in-process local level in front of Dragonfly; null without one (<see cref="CacheConfig.EnableLocalLevel"/>).</summary>
    public LocalLevelStats? LocalLevel { get; }

    /// <summary>Recovery's figures (whole cache, <see cref="CacheConfig.EnableRecovery"/> on); null otherwise.</summary>
    public RecoveryStats? Recovery { get; }

    /// <summary>The Dragonfly backend's own figures (whole cache); null on the memory backend and for a tenant.</summary>
    public DragonflyStats? Dragonfly { get; }

    /// <summary>Calls to the server that failed or timed out (whole cache only).</summary>
    [Obsolete("Use Dragonfly.BackendFailures (null on the memory backend).")]
    public long BackendFailures { get => this[CounterKind.BackendFailures]; init => _counts[(int)CounterKind.BackendFailures] = value; }

    /// <summary>Times the circuit breaker opened (whole cache only).</summary>
    [Obsolete("Use Recovery.BreakerOpenings (null with recovery off).")]
    public long BreakerOpenings { get => this[CounterKind.BreakerOpenings]; init => _counts[(int)CounterKind.BreakerOpenings] = value; }

    /// <summary>Invalidations kept during an outage and applied to the server once it was back (whole cache only).</summary>
    [Obsolete("Use Recovery.ReplayedOperations (null with recovery off).")]
    public long ReplayedOperations { get => this[CounterKind.ReplayedOperations]; init => _counts[(int)CounterKind.ReplayedOperations] = value; }

    /// <summary>Times the journal of removals kept during an outage overflowed (whole cache only).</summary>
    [Obsolete("Use Recovery.JournalOverflows (null with recovery off).")]
    public long JournalOverflows { get => this[CounterKind.JournalOverflows]; init => _counts[(int)CounterKind.JournalOverflows] = value; }

    /// <summary>Journaled removals that recovery gave up on (whole cache only).</summary>
    [Obsolete("Use Recovery.AbandonedRemovals (null with recovery off).")]
    public long AbandonedRemovals { get => this[CounterKind.AbandonedRemovals]; init => _counts[(int)CounterKind.AbandonedRemovals] = value; }

    /// <summary>Of <see cref="Hits"/>, those served from the in-process local level; 0 without one.</summary>
    [Obsolete("Use LocalLevel.Hits (null without a local level).")]
    public long LocalHits { get => this[CounterKind.LocalHits]; init => _counts[(int)CounterKind.LocalHits] = value; }

    /// <summary>Of <see cref="Hits"/>, those the server answered.</summary>
    [Obsolete("Use Hits minus LocalLevel.Hits, or LocalLevel.ServerHits.")]
    public long ServerHits => Hits - this[CounterKind.LocalHits];

    /// <summary>Invalidation messages this instance published on the backplane (whole cache only; local level on).</summary>
    [Obsolete("Use LocalLevel.BackplaneMessagesSent (null without a local level).")]
    public long BackplaneMessagesSent { get => this[CounterKind.BackplaneMessagesSent]; init => _counts[(int)CounterKind.BackplaneMessagesSent] = value; }

    /// <summary>Messages from other instances this instance received on the backplane (whole cache only; local level on).</summary>
    [Obsolete("Use LocalLevel.BackplaneMessagesReceived (null without a local level).")]
    public long BackplaneMessagesReceived { get => this[CounterKind.BackplaneMessagesReceived]; init => _counts[(int)CounterKind.BackplaneMessagesReceived] = value; }

    /// <summary>Backplane messages lost (whole cache only; local level on).</summary>
    [Obsolete("Use LocalLevel.BackplaneMessagesDropped (null without a local level).")]
    public long BackplaneMessagesDropped { get => this[CounterKind.BackplaneMessagesDropped]; init => _counts[(int)CounterKind.BackplaneMessagesDropped] = value; }

    /// <summary>Times the local level was emptied because this instance may have missed an invalidation (whole cache only).</summary>
    [Obsolete("Use LocalLevel.Flushes (null without a local level).")]
    public long LocalFlushes { get => this[CounterKind.LocalFlushes]; init => _counts[(int)CounterKind.LocalFlushes] = value; }

    /// <summary>This snapshot with <paramref name="usage"/>'s size and bytes (what the server reported).</summary>
    internal CacheStats WithUsage(CacheUsage usage) => new(this, usage);

    private CacheStats(CacheStats counted, CacheUsage usage)
    {
        TenantId = counted.TenantId;
        counted._counts.CopyTo(_counts, 0);
        _evictions = counted._evictions;
        MaxSize = counted.MaxSize;
        MaxMemoryBytes = counted.MaxMemoryBytes;
        Size = usage.Size;
        MemoryUsage = usage.MemoryUsage;
        Nodes = usage.Nodes;
        LocalLevel = counted.LocalLevel is { } local ? new LocalLevelStats(this) { Size = local.Size, MemoryUsage = local.MemoryUsage } : null;
        Recovery = counted.Recovery is null ? null : new RecoveryStats(this);
        Dragonfly = counted.Dragonfly is null ? null : new DragonflyStats(this);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"Hits={Hits}, Misses={Misses}, HitRate={HitRate:P1}, Size={Size}, MemoryUsage={MemoryUsage}, Sets={Sets}, Evictions={Evictions}, Expirations={Expirations}";
}
