using Motadata.Cache.Stores.Recovery;

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
    public CacheHealth Health => Recovering is { } recovering ? recovering.Health : _steadyHealth;

    /// <summary>
    /// Completes once the backend is healthy again: the breaker closed and every invalidation kept during the outage
    /// replayed on the server. At once when healthy, or when nothing tracks the backend.
    /// </summary>
    internal Task WaitForRecoveryAsync(CancellationToken cancellationToken = default) =>
        Recovering is { } recovering ? recovering.WaitUntilHealthyAsync(cancellationToken) : Task.CompletedTask;

    // The recovery decorator, seen through the telemetry decorator.
    private RecoveringStore? Recovering =>
        (_store is Telemetry.InstrumentedStore instrumented ? instrumented.Inner : _store) as RecoveringStore;
}
