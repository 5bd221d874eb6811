using Polly.CircuitBreaker;

namespace Motadata.Cache.Stores.Tiers.Recovery;

/// <summary>
/// What a store that recovers from outages tells the facade: one <see cref="RecoveringStore"/>, or a
/// <see cref="Sharded.ShardedStore"/> whose servers each recover on their own.
/// </summary>
internal interface IRecoveryState
{
    /// <summary>The current health (the worst of the servers'); reading it takes no lock and allocates nothing.</summary>
    CacheHealth Health { get; }

    /// <summary>
    /// Each server's own health, by <c>host:port</c>, when there are several (cluster primaries, sharded servers);
    /// empty for a single server, whose health is <see cref="Health"/>.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, CacheHealth>> NodeHealth { get; }

    /// <summary>Removals kept in the recovery journal, waiting to be replayed on the server (summed over the servers).</summary>
    int PendingRemovals { get; }

    /// <summary>The circuit breaker's state (the most open of the servers'), for tests and diagnostics.</summary>
    CircuitState BreakerState { get; }

    /// <summary>Completes when every server is healthy again (breaker closed, journal replayed).</summary>
    Task WaitUntilHealthyAsync(CancellationToken cancellationToken);
}
