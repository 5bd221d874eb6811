namespace Motadata.Cache;

/// <summary>
/// How recovery (<see cref="CacheConfig.EnableRecovery"/>) rides out a remote backend's outage
/// (<see cref="CacheConfig.Recovery"/>; null takes every default). With <see cref="CacheConfig.EnableRecovery"/> off it
/// has no effect and is accepted, so one settings file can turn recovery off and on by the flat setting alone.
/// </summary>
public sealed class RecoveryOptions
{
    /// <summary>How many invalidations made while the server is unreachable are kept for replay; past that, the tenants concerned are cleared on reconnect.</summary>
    /// <value>Default 10,000.</value>
    public int JournalCapacity { get; set; } = 10_000;

    /// <summary>How long the circuit breaker stays open before it lets one call probe the server.</summary>
    /// <value>Default five seconds.</value>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many replays of one journaled removal may fail while the server otherwise answers before recovery stops
    /// retrying it: a delete or invalidation is then widened to a clear of its namespace, and a clear that keeps failing
    /// too is abandoned, logged (event 5006) and counted (<see cref="CacheStats.AbandonedRemovals"/>). Failures during
    /// an outage (the server answers nothing) do not count.
    /// </summary>
    /// <value>Default 3.</value>
    public int MaxReplayAttempts { get; set; } = 3;

    /// <summary>Entries of the in-process tier that serves this instance's own writes while the server is away; 0 turns it off.</summary>
    /// <value>Default 0 (off).</value>
    public int FallbackMaxSize { get; set; }

    /// <summary>A copy of these settings.</summary>
    /// <returns>The copy.</returns>
    public RecoveryOptions Clone() => (RecoveryOptions)MemberwiseClone();
}
