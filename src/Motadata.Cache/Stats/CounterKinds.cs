using Motadata.Cache.Telemetry;

namespace Motadata.Cache.Stats;

/// <summary>
/// The table of counter kinds: one line per <see cref="CounterKind"/>, in the enum's order. Statistics
/// (<see cref="CacheStats"/>) and telemetry (<see cref="CacheTelemetry"/>) loop over it; a test checks every kind
/// shows in both.
/// </summary>
internal static class CounterKinds
{
    private const string Lookups = "{lookup}";
    private const string Entries = "{entry}";
    private const string Errors = "{error}";
    private const string EvictionsDescription = "Entries removed by the cache, by reason (size, memory, tenant_quota, expired).";
    private const string ErrorsDescription = "Backend failures, corrupt payloads and rejected values.";
    private const string BackplaneDescription = "Backplane messages, by direction (sent, received, dropped).";
    private const string LocalHitsDescription = "Lookups the in-process local level answered (part of motadata.cache.hits).";

    /// <summary>How many kinds there are: the length of a counter table.</summary>
    public const int Count = (int)CounterKind.LocalFlushes + 1;

    /// <summary>Every kind, indexed by <see cref="CounterKind"/>.</summary>
    public static IReadOnlyList<CounterKindInfo> All { get; } =
    [
        new(CounterKind.Hits, CounterScope.Namespace, CounterSection.Core, "Lookups that found a value.",
            [new(CacheDiagnostics.Hits, Lookups, "Lookups that found a value."),
             new(CacheDiagnostics.LocalHits, Lookups, LocalHitsDescription, LocalTableOnly: true)]),
        new(CounterKind.Misses, CounterScope.Namespace, CounterSection.Core, "Lookups that found nothing.",
            [new(CacheDiagnostics.Misses, Lookups, "Lookups that found nothing.")]),
        new(CounterKind.LocalHits, CounterScope.Namespace, CounterSection.LocalLevel, "Of the hits, those the in-process local level answered.",
            [new(CacheDiagnostics.LocalHits, Lookups, LocalHitsDescription)]),
        new(CounterKind.Sets, CounterScope.Namespace, CounterSection.Core, "Values stored.",
            [new(CacheDiagnostics.Sets, Entries, "Values stored.")]),
        new(CounterKind.SizeEvictions, CounterScope.Namespace, CounterSection.Core, "Entries evicted because the cache held MaxSize entries.",
            [new(CacheDiagnostics.Evictions, Entries, EvictionsDescription, CacheDiagnostics.EvictionReasonTag, "size")]),
        new(CounterKind.MemoryEvictions, CounterScope.Namespace, CounterSection.Core, "Entries evicted because the cache held MaxMemoryBytes.",
            [new(CacheDiagnostics.Evictions, Entries, EvictionsDescription, CacheDiagnostics.EvictionReasonTag, "memory")]),
        new(CounterKind.QuotaEvictions, CounterScope.Namespace, CounterSection.Core, "Entries evicted because their tenant was at its own quota.",
            [new(CacheDiagnostics.Evictions, Entries, EvictionsDescription, CacheDiagnostics.EvictionReasonTag, "tenant_quota")]),
        new(CounterKind.Expirations, CounterScope.Namespace, CounterSection.Core, "Entries removed because their TTL ran out.",
            [new(CacheDiagnostics.Evictions, Entries, EvictionsDescription, CacheDiagnostics.EvictionReasonTag, "expired"),
             new(CacheDiagnostics.Expirations, Entries, "Entries removed because their TTL ran out.")]),
        new(CounterKind.RejectedValues, CounterScope.Namespace, CounterSection.Core, "Values refused because they were larger than the limit.",
            [new(CacheDiagnostics.Errors, Errors, ErrorsDescription, CacheDiagnostics.ErrorTypeTag, "rejected_value")]),
        new(CounterKind.CorruptPayloads, CounterScope.Namespace, CounterSection.Core, "Values read back that failed validation or could not be deserialized.",
            [new(CacheDiagnostics.Errors, Errors, ErrorsDescription, CacheDiagnostics.ErrorTypeTag, "corrupt_payload")]),
        new(CounterKind.BackendFailures, CounterScope.WholeCache, CounterSection.Dragonfly, "Calls to the server that failed or timed out.",
            [new(CacheDiagnostics.Errors, Errors, ErrorsDescription, CacheDiagnostics.ErrorTypeTag, "backend_failure")]),
        new(CounterKind.BreakerOpenings, CounterScope.WholeCache, CounterSection.Recovery, "Times the circuit breaker opened.",
            [new(CacheDiagnostics.BreakerOpenings, "{opening}", "Times the circuit breaker opened.")]),
        new(CounterKind.ReplayedOperations, CounterScope.WholeCache, CounterSection.Recovery, "Invalidations kept during an outage and applied once the server was back.",
            [new(CacheDiagnostics.ReplayedOperations, "{operation}", "Invalidations kept during an outage and applied once the server was back.")]),
        new(CounterKind.JournalOverflows, CounterScope.WholeCache, CounterSection.Recovery, "Times the outage journal overflowed and its removals were widened to clears.",
            [new(CacheDiagnostics.Errors, Errors, ErrorsDescription, CacheDiagnostics.ErrorTypeTag, "journal_overflow")]),
        new(CounterKind.AbandonedRemovals, CounterScope.WholeCache, CounterSection.Recovery, "Journaled removals recovery gave up on.",
            [new(CacheDiagnostics.Errors, Errors, ErrorsDescription, CacheDiagnostics.ErrorTypeTag, "abandoned_removal")]),
        new(CounterKind.BackplaneMessagesSent, CounterScope.WholeCache, CounterSection.LocalLevel, "Invalidation messages this instance published on the backplane.",
            [new(CacheDiagnostics.BackplaneMessages, "{message}", BackplaneDescription, CacheDiagnostics.BackplaneDirectionTag, "sent")]),
        new(CounterKind.BackplaneMessagesReceived, CounterScope.WholeCache, CounterSection.LocalLevel, "Backplane messages received from other instances.",
            [new(CacheDiagnostics.BackplaneMessages, "{message}", BackplaneDescription, CacheDiagnostics.BackplaneDirectionTag, "received")]),
        new(CounterKind.BackplaneMessagesDropped, CounterScope.WholeCache, CounterSection.LocalLevel, "Backplane messages lost: not published, unreadable, or found missing.",
            [new(CacheDiagnostics.BackplaneMessages, "{message}", BackplaneDescription, CacheDiagnostics.BackplaneDirectionTag, "dropped")]),
        new(CounterKind.LocalFlushes, CounterScope.WholeCache, CounterSection.LocalLevel, "Times the local level was emptied because an invalidation may have been missed.",
            [new(CacheDiagnostics.LocalFlushes, "{flush}", "Times the local level was emptied because an invalidation may have been missed.")]),
    ];

    /// <summary>
    /// True when <paramref name="kind"/> is counted on the local level's own table (<see cref="CacheStats.LocalLevel"/>):
    /// its section's kinds, and its hits on the facade's inlined path (hits, and local hits too).
    /// </summary>
    public static bool OnLocalTable(CounterKind kind) => kind == CounterKind.Hits || Of(kind).Section == CounterSection.LocalLevel;

    /// <summary>The line of <paramref name="kind"/>.</summary>
    public static CounterKindInfo Of(CounterKind kind) => All[(int)kind];
}
