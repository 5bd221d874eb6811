using Motadata.Cache.Internal;

namespace Motadata.Cache;

public sealed partial class CacheMechanism
{
    /// <summary>
    /// Creates an in-process cache: bounded to <paramref name="maxSize"/> entries, evicting by W-TinyLFU (what is used
    /// least, as a frequency sketch estimates, goes first; see docs/memory-backend.md).
    /// </summary>
    /// <param name="maxSize">The most entries held; null for <see cref="CacheConfig.MaxSize"/> (10,000).</param>
    /// <param name="ttl">The TTL of entries set without one; null for <see cref="CacheConfig.Ttl"/> (one hour).</param>
    /// <param name="configure">Sets anything else (sharding, byte bound, clock, logging); runs after the arguments above are applied.</param>
    /// <returns>The cache; dispose it when done.</returns>
    /// <exception cref="ArgumentException">A setting is bad; the message lists every one.</exception>
    public static CacheMechanism CreateMemory(int? maxSize = null, TimeSpan? ttl = null, Action<CacheConfig>? configure = null)
    {
        var config = new CacheConfig { Backend = CacheBackend.Memory };
        if (maxSize is { } size)
        {
            config.MaxSize = size;
        }

        if (ttl is { } value)
        {
            config.Ttl = value;
        }

        configure?.Invoke(config);
        return new CacheMechanism(config);
    }

    /// <summary>
    /// Creates a cache on a Dragonfly server (or Redis 7 / Valkey), shared by every instance that points at it.
    /// </summary>
    /// <param name="url">
    /// Where the server listens: <c>dragonfly://[user:password@]host[:port][/db]</c>, <c>dragonflys://</c> for TLS,
    /// <c>redis://</c> and <c>rediss://</c> as synonyms.
    /// </param>
    /// <param name="ttl">The TTL of entries set without one; null for <see cref="CacheConfig.Ttl"/> (one hour).</param>
    /// <param name="configure">Sets anything else (key prefix, timeouts, recovery, serializer); runs after the arguments above are applied.</param>
    /// <returns>The cache; dispose it when done, to close its connection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="url"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting is bad; the message lists every one.</exception>
    public static CacheMechanism CreateDragonfly(string url, TimeSpan? ttl = null, Action<CacheConfig>? configure = null)
    {
        if (url is null)
        {
            Throw.ArgumentNull(nameof(url));
        }

        var config = new CacheConfig { Backend = CacheBackend.Dragonfly, DragonflyUrl = url };
        if (ttl is { } value)
        {
            config.Ttl = value;
        }

        configure?.Invoke(config);
        return new CacheMechanism(config);
    }
}
