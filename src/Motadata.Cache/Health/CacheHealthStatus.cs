namespace Motadata.Cache;

/// <summary>How well a cache's backend is serving, as reported by <see cref="CacheMechanism.Health"/>.</summary>
public enum CacheHealthStatus
{
    /// <summary>Every call reaches the server; nothing is pending.</summary>
    Healthy = 0,

    /// <summary>
    /// The server has failed recently, or answers again but the invalidations kept during the outage are still being
    /// replayed. Reads are served by the server only while nothing is left to replay; otherwise they are misses (or
    /// hits of the fallback tier). Nothing throws.
    /// </summary>
    Degraded = 1,

    /// <summary>
    /// The circuit breaker is open: calls return at once without touching the network (reads miss, writes return
    /// false, invalidations are kept for replay) until a probe finds the server answering again.
    /// </summary>
    Unavailable = 2,
}
