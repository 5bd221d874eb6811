using Microsoft.Extensions.Logging;

namespace Motadata.Cache.Stores.Tiers.Recovery;

/// <summary>The log lines of recovery: one per health transition (and one per journal overflow), never one per failed call.</summary>
internal static partial class RecoveryLog
{
    [LoggerMessage(EventId = 5001, EventName = "CacheDegraded", Level = LogLevel.Warning,
        Message = "The {Backend} cache server failed; the cache is Degraded: reads miss and invalidations are journaled until it answers again. Cause: {Error}")]
    public static partial void Degraded(ILogger logger, string backend, string? error);

    [LoggerMessage(EventId = 5002, EventName = "CacheUnavailable", Level = LogLevel.Error,
        Message = "The {Backend} cache server is Unavailable: the circuit breaker opened, calls return at once without touching the network, and the server is probed every {BreakDuration}. Cause: {Error}")]
    public static partial void Unavailable(ILogger logger, string backend, TimeSpan breakDuration, string? error);

    [LoggerMessage(EventId = 5003, EventName = "CacheReachable", Level = LogLevel.Information,
        Message = "The {Backend} cache server answers again; the cache stays Degraded until {Pending} journaled invalidations are replayed on it.")]
    public static partial void Reachable(ILogger logger, string backend, int pending);

    [LoggerMessage(EventId = 5004, EventName = "CacheRecovered", Level = LogLevel.Information,
        Message = "The {Backend} cache server is Healthy again after {Outage}; journaled invalidations were replayed before anything was read from it.")]
    public static partial void Recovered(ILogger logger, string backend, TimeSpan outage);

    [LoggerMessage(EventId = 5005, EventName = "CacheJournalOverflowed", Level = LogLevel.Warning,
        Message = "A tenant journaled more invalidations than its share of {Capacity} (a quarter) while the {Backend} cache server was unreachable, or the journal filled; that tenant's namespace (only it, unless every namespace holds one entry) will be cleared entirely when it is back (CacheConfig.RecoveryJournalCapacity).")]
    public static partial void JournalOverflowed(ILogger logger, string backend, int capacity);

    [LoggerMessage(EventId = 5006, EventName = "CacheReplayAbandoned", Level = LogLevel.Error,
        Message = "The {Backend} cache server failed a journaled {Operation} of tenant {TenantId} {Attempts} times while answering other calls; recovery gives it up (values it should have removed may be served until they expire). Last error: {Error}")]
    public static partial void ReplayAbandoned(ILogger logger, string backend, JournalOperation operation, string? tenantId, int attempts, string? error);

    [LoggerMessage(EventId = 5007, EventName = "CacheReplayWidened", Level = LogLevel.Warning,
        Message = "The {Backend} cache server failed a journaled {Operation} ({Text}) of tenant {TenantId} {Attempts} times while answering other calls; recovery clears the tenant's whole namespace instead. Last error: {Error}")]
    public static partial void ReplayWidened(ILogger logger, string backend, JournalOperation operation, string? tenantId, string? text, int attempts, string? error);

    [LoggerMessage(EventId = 5008, EventName = "CacheRecoveryLoopFailed", Level = LogLevel.Warning,
        Message = "Recovering the {Backend} cache server failed unexpectedly ({ExceptionType}); recovery goes on and tries again in {Wait}.")]
    public static partial void LoopFailed(ILogger logger, string backend, string exceptionType, TimeSpan wait);
}
