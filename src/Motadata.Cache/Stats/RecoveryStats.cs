using Motadata.Cache.Stats;

namespace Motadata.Cache;

/// <summary>Recovery's figures (<see cref="CacheConfig.EnableRecovery"/>): a section of a whole cache's <see cref="CacheStats"/>.</summary>
public sealed class RecoveryStats
{
    private readonly CacheStats _stats;

    internal RecoveryStats(CacheStats stats) => _stats = stats;

    /// <summary>Times the circuit breaker opened.</summary>
    public long BreakerOpenings => _stats[CounterKind.BreakerOpenings];

    /// <summary>Invalidations kept during an outage and applied to the server once it was back.</summary>
    public long ReplayedOperations => _stats[CounterKind.ReplayedOperations];

    /// <summary>
    /// Times the journal of removals kept during an outage overflowed, so that the removals it held were widened to
    /// clears of their whole namespaces (see <see cref="CacheConfig.RecoveryJournalCapacity"/>).
    /// </summary>
    public long JournalOverflows => _stats[CounterKind.JournalOverflows];

    /// <summary>
    /// Journaled removals that recovery gave up on after the server failed them
    /// <see cref="CacheConfig.RecoveryMaxReplayAttempts"/> times, even once widened to a clear of their namespace.
    /// </summary>
    public long AbandonedRemovals => _stats[CounterKind.AbandonedRemovals];

    /// <inheritdoc />
    public override string ToString() =>
        $"BreakerOpenings={BreakerOpenings}, ReplayedOperations={ReplayedOperations}, JournalOverflows={JournalOverflows}, AbandonedRemovals={AbandonedRemovals}";
}
