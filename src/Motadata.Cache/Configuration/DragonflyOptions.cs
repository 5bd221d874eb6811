namespace Motadata.Cache;

/// <summary>
/// How the Dragonfly backend connects and lays out its keys (<see cref="CacheConfig.Dragonfly"/>; null takes every
/// default). Where the server is stays <see cref="CacheConfig.DragonflyUrl"/>. Without effect on the memory backend,
/// so one settings file can switch <see cref="CacheConfig.Backend"/> alone.
/// </summary>
public sealed class DragonflyOptions
{
    /// <summary>What every key this cache writes starts with, so it never touches another application's keys.</summary>
    /// <value>Default <c>"mc:"</c>.</value>
    public string KeyPrefix { get; set; } = "mc:";

    /// <summary>How long one call to the server may take before it counts as failed; at most 10 minutes.</summary>
    /// <value>Default one second.</value>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long connecting to the server may take; at most 10 minutes.</summary>
    /// <value>Default five seconds.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Reads the server's replies on StackExchange.Redis's own shared socket threads instead of the .NET thread pool.
    /// The thread pool (the default) is faster; dedicated threads keep reading replies when the application starves
    /// the thread pool by blocking many of its threads (sync over async). See docs/dragonfly.md.
    /// </summary>
    /// <value>Default false (the .NET thread pool).</value>
    public bool DedicatedIOThreads { get; set; }

    /// <summary>
    /// How a tenant's keys are laid out: spread over a cluster's slots by key, or co-located in one slot per tenant
    /// with a hash tag. Changing it changes every server key, so entries written under the other layout are no longer
    /// found (they expire by their TTL).
    /// </summary>
    /// <value>Default <see cref="Cache.TenantPlacement.Spread"/>.</value>
    public TenantPlacement TenantPlacement { get; set; } = TenantPlacement.Spread;

    /// <summary>A copy of these settings.</summary>
    /// <returns>The copy.</returns>
    public DragonflyOptions Clone() => (DragonflyOptions)MemberwiseClone();
}
