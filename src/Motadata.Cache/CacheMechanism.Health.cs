using Motadata.Cache.Stores.Tiers.Recovery;
using Polly.CircuitBreaker;

namespace Motadata.Cache;

public sealed partial class CacheMechanism
{
    // What Health reports when nothing tracks the backend: the memory backend, or Dragonfly with recovery off.
    private readonly CacheHealth _steadyHealth;

    /// <summary>
    /// How the backend is doing: <see cref="CacheHealthStatus.Healthy"/>, <see cref="CacheHealthStatus.Degraded"/>
    /// (failing, or replaying the invalidations kept during an outage) or <see cref="CacheHealthStatus.Unavailable"/>
    /// (circuit breaker open), since when, and the last error. Reading it is cheap (no lock, no allocation), so a
    /// health check may poll it. The memory backend, and Dragonfly with <see cref="CacheConfig.EnableRecovery"/> off
    /// (where failures reach the caller as exceptions), are always healthy.
    /// </summary>
    public CacheHealth Health => _recovering is { } recovering ? recovering.Health : _steadyHealth;

    /// <summary>
    /// How many removals (deletes, invalidations, clears) that the server did not take are kept in the recovery journal,
    /// waiting to be replayed once it answers (summed over the servers of a cluster or sharded cache): the length of
    /// the journal, bounded by <see cref="CacheConfig.RecoveryJournalCapacity"/>. Zero on the memory backend, with
    /// recovery off, and once everything is replayed. Reading it is cheap (no lock, no server call).
    /// </summary>
    public int PendingRemovals => _recovering?.PendingRemovals ?? 0;

    /// <summary>
    /// Each server's own health by <c>host:port</c> (the names of <see cref="CacheStats.Nodes"/>) when the cache spans
    /// several with recovery on: Redis Cluster primaries, or sharded servers (<see cref="CacheConfig.EnableSharding"/>),
    /// each with its own breaker and journal. Empty on the memory backend, on a single server (see <see cref="Health"/>)
    /// and with recovery off. Builds a small list per read: for dashboards and health checks, not hot paths.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, CacheHealth>> NodeHealth => _recovering?.NodeHealth ?? [];

    /// <summary>
    /// Completes once the backend is healthy again: the breaker closed and every invalidation kept during the outage
    /// replayed on the server. At once when healthy, or when nothing tracks the backend.
    /// </summary>
    internal Task WaitForRecoveryAsync(CancellationToken cancellationToken = default) =>
        _recovering is { } recovering ? recovering.WaitUntilHealthyAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>The circuit breaker's state with recovery on (Dragonfly); null when nothing guards the backend. For tests and diagnostics.</summary>
    internal CircuitState? BreakerState => _recovering is { } recovering ? recovering.BreakerState : null;

    /// <summary>
    /// Asks the backend to answer, for readiness probes: one read of a reserved key of the global namespace
    /// (<see cref="MotadataCacheHealthCheck.ProbeKey"/>, never written) through every layer, counting no hit or miss,
    /// so polling leaves <see cref="GetStats"/> as it was. With <see cref="CacheConfig.EnableRecovery"/> off a backend
    /// that does not answer throws <see cref="CacheBackendException"/>; with it on, the failure shows in
    /// <see cref="Health"/> instead. The memory backend always answers.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait for a remote backend.</param>
    /// <returns>A task that completes when the backend answered (or recovery took the failure).</returns>
    public ValueTask PingAsync(CancellationToken cancellationToken = default) => ProbeAsync(MotadataCacheHealthCheck.ProbeKey, cancellationToken);

    /// <summary>As <see cref="PingAsync"/>, reading <paramref name="key"/> (global namespace).</summary>
    internal async ValueTask ProbeAsync(string key, CancellationToken cancellationToken)
    {
        CheckKey(key, tenantId: null);
        var outcome = await _store.ReadAsync<byte[]>(new Keys.CacheKey(null, key), cancellationToken).ConfigureAwait(false);
        if (outcome.Failure is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>What tracks the backend's recovery (one store, or a store per shard or cluster primary); for tests.</summary>
    internal IRecoveryState? RecoveryState => _recovering;

    /// <summary>Failed server calls so far, without the server round trips <see cref="GetStats"/> makes. For tests.</summary>
    internal long BackendFailures => _statistics.Total(Stats.CounterKind.BackendFailures, null);
}
