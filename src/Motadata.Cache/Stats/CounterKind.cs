namespace Motadata.Cache.Stats;

/// <summary>
/// Every counter the cache keeps, as an index into a counter table (<see cref="CounterRow"/>). What each one means,
/// whom it is kept for and which instrument reports it lives in <see cref="CounterKinds"/>: adding a counter is one
/// member here and its line there; statistics, telemetry and the tests loop over the kinds.
/// </summary>
internal enum CounterKind
{
    /// <summary>Lookups that found a value (striped: every lookup touches it).</summary>
    Hits,

    /// <summary>Lookups that found nothing (striped).</summary>
    Misses,

    /// <summary>Hits the in-process local level answered (on the local level's own table).</summary>
    LocalHits,

    /// <summary>Values stored.</summary>
    Sets,

    /// <summary>Entries evicted because the cache held <see cref="CacheConfig.MaxSize"/> entries.</summary>
    SizeEvictions,

    /// <summary>Entries evicted because the cache held <see cref="CacheConfig.MaxMemoryBytes"/>.</summary>
    MemoryEvictions,

    /// <summary>Entries evicted because their tenant was at its own quota.</summary>
    QuotaEvictions,

    /// <summary>Entries removed because their TTL ran out.</summary>
    Expirations,

    /// <summary>Values refused because they were too large.</summary>
    RejectedValues,

    /// <summary>Values read back that failed validation or could not be deserialized.</summary>
    CorruptPayloads,

    /// <summary>Calls to the server that failed or timed out (whole cache).</summary>
    BackendFailures,

    /// <summary>Times the circuit breaker opened (whole cache).</summary>
    BreakerOpenings,

    /// <summary>Journaled invalidations applied once the server was back (whole cache).</summary>
    ReplayedOperations,

    /// <summary>Times the outage journal overflowed (whole cache).</summary>
    JournalOverflows,

    /// <summary>Journaled removals recovery gave up on (whole cache).</summary>
    AbandonedRemovals,

    /// <summary>Backplane messages published (whole cache, local level).</summary>
    BackplaneMessagesSent,

    /// <summary>Backplane messages received from other instances (whole cache, local level).</summary>
    BackplaneMessagesReceived,

    /// <summary>Backplane messages lost (whole cache, local level).</summary>
    BackplaneMessagesDropped,

    /// <summary>Times the local level was emptied for safety (whole cache, local level).</summary>
    LocalFlushes,
}
