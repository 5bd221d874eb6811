namespace Motadata.Cache;

/// <summary>
/// The names under which Motadata.Cache reports: pass <see cref="MeterName"/> to OpenTelemetry's
/// <c>AddMeter</c> and <see cref="ActivitySourceName"/> to <c>AddSource</c>.
/// </summary>
/// <remarks>
/// Counters (hits, misses, sets, evictions, expirations, errors) and the size gauges are observable instruments
/// read from the cache's own exact statistics when a listener collects, so a lookup costs nothing extra whether or
/// not anyone listens. The latency histogram and the activities cover remote-backend calls only.
/// </remarks>
public static class CacheDiagnostics
{
    /// <summary>The name of the cache's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "Motadata.Cache";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> that traces remote-backend calls.</summary>
    public const string ActivitySourceName = "Motadata.Cache";

    /// <summary>Lookups that found a value (counter, <c>{lookup}</c>), tagged <see cref="BackendTag"/> and <see cref="TenantTag"/>.</summary>
    public const string Hits = "motadata.cache.hits";

    /// <summary>
    /// Of <see cref="Hits"/>, lookups the in-process local level answered (counter, <c>{lookup}</c>; Dragonfly with
    /// <see cref="CacheConfig.EnableLocalLevel"/>). Server hits are <see cref="Hits"/> minus these.
    /// </summary>
    public const string LocalHits = "motadata.cache.local.hits";

    /// <summary>
    /// Backplane messages (counter, <c>{message}</c>; local level on), tagged <see cref="BackplaneDirectionTag"/>:
    /// <c>sent</c>, <c>received</c> (from other instances) and <c>dropped</c> (not sent, unreadable, or found missing).
    /// </summary>
    public const string BackplaneMessages = "motadata.cache.backplane.messages";

    /// <summary>Times the local level was emptied because an invalidation may have been missed (counter, <c>{flush}</c>; local level on).</summary>
    public const string LocalFlushes = "motadata.cache.local.flushes";

    /// <summary>The direction of a <see cref="BackplaneMessages"/> count: <c>sent</c>, <c>received</c> or <c>dropped</c>.</summary>
    public const string BackplaneDirectionTag = "cache.backplane.direction";

    /// <summary>Lookups that found nothing (counter, <c>{lookup}</c>).</summary>
    public const string Misses = "motadata.cache.misses";

    /// <summary>Values stored (counter, <c>{entry}</c>).</summary>
    public const string Sets = "motadata.cache.sets";

    /// <summary>
    /// Entries the memory backend removed on its own (counter, <c>{entry}</c>), tagged <see cref="EvictionReasonTag"/>:
    /// <c>size</c> (<see cref="CacheConfig.MaxSize"/>), <c>memory</c> (<see cref="CacheConfig.MaxMemoryBytes"/>),
    /// <c>tenant_quota</c> (a tenant at its own quota) and <c>expired</c> (TTL ran out; the same count as <see cref="Expirations"/>).
    /// </summary>
    public const string Evictions = "motadata.cache.evictions";

    /// <summary>Entries removed because their TTL ran out (counter, <c>{entry}</c>; memory backend).</summary>
    public const string Expirations = "motadata.cache.expirations";

    /// <summary>
    /// Failures (counter, <c>{error}</c>), tagged <see cref="ErrorTypeTag"/>: <c>backend_failure</c> (whole cache),
    /// <c>journal_overflow</c> and <c>abandoned_removal</c> (whole cache, recovery on), <c>corrupt_payload</c> and <c>rejected_value</c> (per tenant).
    /// </summary>
    public const string Errors = "motadata.cache.errors";

    /// <summary>Times the circuit breaker opened (counter, <c>{opening}</c>; Dragonfly with recovery on, whole cache).</summary>
    public const string BreakerOpenings = "motadata.cache.breaker.openings";

    /// <summary>Invalidations kept during an outage and applied once the server was back (counter, <c>{operation}</c>; recovery on).</summary>
    public const string ReplayedOperations = "motadata.cache.recovery.replayed";

    /// <summary>Entries held (gauge, <c>{entry}</c>; memory backend, where the count is known without asking a server).</summary>
    public const string Size = "motadata.cache.size";

    /// <summary>Estimated bytes held (gauge, <c>By</c>; memory backend).</summary>
    public const string MemoryUsage = "motadata.cache.memory.usage";

    /// <summary>How long remote-backend calls take (histogram, seconds), tagged <see cref="BackendTag"/> and <see cref="OperationTag"/>.</summary>
    public const string OperationDuration = "motadata.cache.operation.duration";

    /// <summary>The backend: <c>memory</c> or <c>dragonfly</c>.</summary>
    public const string BackendTag = "cache.backend";

    /// <summary>
    /// The tenant. Absent for the global namespace; the first <see cref="MaxTenantTags"/> tenants seen keep their
    /// own value and every later one reports as <see cref="OtherTenants"/>, so a tenant per user cannot explode a
    /// metrics backend.
    /// </summary>
    public const string TenantTag = "cache.tenant";

    /// <summary>The operation of a remote call: <c>get</c>, <c>get_many</c>, <c>set</c>, <c>set_many</c>, <c>delete</c>, <c>invalidate</c>, <c>clear</c>, <c>usage</c>.</summary>
    public const string OperationTag = "cache.operation";

    /// <summary>The kind of failure on <see cref="Errors"/> and on a failed <see cref="OperationDuration"/>.</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>Why <see cref="Evictions"/> removed an entry: <c>size</c>, <c>memory</c>, <c>tenant_quota</c> or <c>expired</c>.</summary>
    public const string EvictionReasonTag = "cache.eviction.reason";

    /// <summary>The cache's name (<see cref="CacheConfig.Name"/>), a tag of the meter itself when set.</summary>
    public const string NameTag = "cache.name";

    /// <summary>The <see cref="TenantTag"/> value shared by every tenant past the first <see cref="MaxTenantTags"/>.</summary>
    public const string OtherTenants = "(other)";

    /// <summary>How many tenants get a <see cref="TenantTag"/> value of their own, per cache.</summary>
    public const int MaxTenantTags = 100;
}
