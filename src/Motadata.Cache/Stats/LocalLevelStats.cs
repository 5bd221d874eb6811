using Motadata.Cache.Stats;

namespace Motadata.Cache;

/// <summary>
/// The in-process local level in front of Dragonfly (<see cref="CacheConfig.EnableLocalLevel"/>): a section of
/// <see cref="CacheStats"/>, counted on the local level's own counters. The backplane figures and
/// <see cref="Flushes"/> are the whole cache's (0 in a tenant's statistics).
/// </summary>
public sealed class LocalLevelStats
{
    private readonly CacheStats _stats;

    internal LocalLevelStats(CacheStats stats) => _stats = stats;

    /// <summary>Of <see cref="CacheStats.Hits"/>, those the local level answered.</summary>
    public long Hits => _stats[CounterKind.LocalHits];

    /// <summary>Of <see cref="CacheStats.Hits"/>, those the server answered.</summary>
    public long ServerHits => _stats.Hits - Hits;

    /// <summary>Entries the local level holds now (in process: no server call).</summary>
    public long Size { get; init; }

    /// <summary>Estimated bytes the local level holds now.</summary>
    public long MemoryUsage { get; init; }

    /// <summary>Invalidation messages this instance published on the backplane.</summary>
    public long BackplaneMessagesSent => _stats[CounterKind.BackplaneMessagesSent];

    /// <summary>Messages from other instances this instance received on the backplane.</summary>
    public long BackplaneMessagesReceived => _stats[CounterKind.BackplaneMessagesReceived];

    /// <summary>
    /// Backplane messages lost: announcements this instance could not publish, messages it received but could not
    /// read, and messages it found missing by a gap in a sender's sequence numbers.
    /// </summary>
    public long BackplaneMessagesDropped => _stats[CounterKind.BackplaneMessagesDropped];

    /// <summary>
    /// Times the local level was emptied because this instance may have missed an invalidation (backplane
    /// subscription lost, a gap in a sender's sequence numbers).
    /// </summary>
    public long Flushes => _stats[CounterKind.LocalFlushes];

    /// <inheritdoc />
    public override string ToString() =>
        $"Hits={Hits}, Size={Size}, Sent={BackplaneMessagesSent}, Received={BackplaneMessagesReceived}, Dropped={BackplaneMessagesDropped}, Flushes={Flushes}";
}
