using Motadata.Cache.Stores.Recovery;
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
    /// Completes once the backend is healthy again: the breaker closed and every invalidation kept during the outage
    /// replayed on the server. At once when healthy, or when nothing tracks the backend.
    /// </summary>
    internal Task WaitForRecoveryAsync(CancellationToken cancellationToken = default) =>
        _recovering is { } recovering ? recovering.WaitUntilHealthyAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>The circuit breaker's state with recovery on (Dragonfly); null when nothing guards the backend. For tests and diagnostics.</summary>
    internal CircuitState? BreakerState => _recovering is { } recovering ? recovering.BreakerState : null;

    /// <summary>
    /// One read of <paramref name="key"/> (global namespace) through every store layer, as a health probe: a failure
    /// reaches recovery (which tracks it, or turns it into a miss) like any read's, but nothing counts a hit or a miss,
    /// so polling a health check leaves <see cref="GetStats"/> as it was.
    /// </summary>
    internal async ValueTask ProbeAsync(string key, CancellationToken cancellationToken)
    {
        CheckKey(key, tenantId: null);
        await _store.TryGetAsync<byte[]>(new Keys.CacheKey(null, key), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Failed server calls so far, without the server round trips <see cref="GetStats"/> makes. For tests.</summary>
    internal long BackendFailures => _statistics.BackendFailures;
}
