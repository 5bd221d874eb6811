namespace Motadata.Cache;

/// <summary>The store behind a <see cref="CacheMechanism"/>.</summary>
public enum CacheBackend
{
    /// <summary>An in-process, bounded, LRU-evicting store. Values are held by reference, like <c>MemoryCache</c>.</summary>
    Memory = 0,

    /// <summary>A Dragonfly server (or Redis 7 / Valkey) reached over the Redis protocol, shared by every instance that points at it.</summary>
    Dragonfly = 1,
}
