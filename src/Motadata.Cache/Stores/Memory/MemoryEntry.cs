using Motadata.Cache.Keys;
using Motadata.Cache.Stats;

namespace Motadata.Cache.Stores.Memory;

/// <summary>
/// One entry of the memory store. Mutable on purpose: overwriting an existing key updates the entry in place, so an
/// overwrite with a reference value allocates nothing. <see cref="Value"/> is written before
/// <see cref="ExpiresAt"/> (a release), and readers read <see cref="ExpiresAt"/> first (an acquire).
/// </summary>
internal sealed class MemoryEntry
{
    public const long NeverExpires = long.MaxValue;

    public MemoryEntry(CacheKey key, MemoryShard shard, TenantCounters counters)
    {
        Key = key;
        Shard = shard;
        Counters = counters;
    }

    public CacheKey Key { get; }

    public MemoryShard Shard { get; }

    public TenantCounters Counters { get; }

#pragma warning disable CA1051 // Fields, not properties: Volatile and Interlocked need refs to them.
    public object? Value;

    /// <summary>A <see cref="TimeProvider.GetTimestamp"/> value, or <see cref="NeverExpires"/>.</summary>
    public long ExpiresAt;

    /// <summary>The estimated size; changed only under a lock on the entry.</summary>
    public long Bytes;

    /// <summary>Set when read or overwritten, cleared by the eviction sweep: the entry's second chance.</summary>
    public volatile bool Accessed;

    /// <summary>Set, under a lock on the entry, once it is out of the dictionary.</summary>
    public bool Removed;
#pragma warning restore CA1051
}
