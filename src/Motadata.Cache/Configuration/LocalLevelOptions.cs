namespace Motadata.Cache;

/// <summary>
/// An in-process level (the memory store) in front of Dragonfly, kept coherent across instances by a backplane (Redis
/// pub/sub on the same server): a value read or written here is served from memory until another instance changes or
/// removes it, its server TTL runs out, or <see cref="MaxLifetime"/> passes (<see cref="CacheConfig.LocalLevel"/>;
/// null turns it off). Dragonfly backend only, one server or one cluster. See docs/two-level.md.
/// </summary>
public sealed class LocalLevelOptions
{
    /// <summary>The most entries the local level holds, an exact bound with W-TinyLFU eviction.</summary>
    /// <value>Default 10,000.</value>
    public int MaxSize { get; set; } = 10_000;

    /// <summary>The most bytes the local level holds, by the memory backend's estimate (see <see cref="MemoryOptions.MaxMemoryBytes"/>); null for no byte bound.</summary>
    /// <value>Default null.</value>
    public long? MaxMemoryBytes { get; set; }

    /// <summary>
    /// The longest a value lives in the local level; it never lives there past its remaining TTL on the server either.
    /// Bounds how long a value can be served locally if an invalidation is ever lost in a way the backplane cannot detect.
    /// </summary>
    /// <value>Default five minutes.</value>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Runs a <c>GetOrSetAsync</c> factory once in the whole fleet of instances sharing the server, not once per
    /// instance (null: once per instance). It lives inside the local level because waiting instances are woken by the
    /// local level's backplane.
    /// </summary>
    /// <value>Default null (off).</value>
    public FleetSingleFlightOptions? FleetSingleFlight { get; set; }

    /// <summary>A copy of these settings.</summary>
    /// <returns>The copy.</returns>
    public LocalLevelOptions Clone()
    {
        var copy = (LocalLevelOptions)MemberwiseClone();
        copy.FleetSingleFlight = FleetSingleFlight?.Clone();
        return copy;
    }
}
