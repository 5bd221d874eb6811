using Motadata.Cache.Stats;

namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>
/// One namespace of the memory store (a tenant, or the global namespace): its own table keyed by the caller's
/// key string (<see cref="NodeTable"/>), its counters and quota, and its entries in recency order for quota evictions. Per-namespace work
/// (<c>Clear(tenant)</c>, <c>Invalidate(pattern, tenant)</c>, a tenant's quota) walks this segment only.
/// </summary>
/// <remarks>
/// The table hashes keys with a fast string hash and switches to the randomized (Marvin) one when it meets keys
/// chosen to collide, so they cannot make lookups linear; lookups are lock-free, changes happen under the store's maintenance lock. Segments live as long as the store.
/// </remarks>
internal sealed class TenantSegment
{
    public TenantSegment(string? tenantId, TenantCounters counters, int? maxSize, long? maxMemoryBytes, long cacheMaxBytes)
    {
        TenantId = tenantId;
        Counters = counters;
        SizeQuota = maxSize;
        MemoryQuota = maxMemoryBytes;
        MaxEntries = maxSize ?? int.MaxValue;
        MaxBytes = maxMemoryBytes ?? long.MaxValue;
        LargestValueBytes = Math.Min(MaxBytes, cacheMaxBytes);
        GrowsFreely = maxMemoryBytes is null && cacheMaxBytes == long.MaxValue;
        KeepsOrder = maxSize is not null || maxMemoryBytes is not null;
        // Not string.GetHashCode, which is seeded afresh in every process: the sketch's collisions, and so which key
        // W-TinyLFU admits on a tie, would differ from run to run.
        Hash = tenantId is null ? 0 : (long)System.IO.Hashing.XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tenantId.AsSpan()));
    }

    public string? TenantId { get; }

    public TenantCounters Counters { get; }

#pragma warning disable CA1051 // A field: the hit path reads it without a property call in between.
    public readonly NodeTable Entries = new();
#pragma warning restore CA1051

    /// <summary>The tenant's entry quota, or null when it has none.</summary>
    public int? SizeQuota { get; }

    /// <summary>The tenant's byte quota, or null when it has none.</summary>
    public long? MemoryQuota { get; }

    /// <summary><see cref="SizeQuota"/>, or <see cref="int.MaxValue"/>.</summary>
    public int MaxEntries { get; }

    /// <summary><see cref="MemoryQuota"/>, or <see cref="long.MaxValue"/>.</summary>
    public long MaxBytes { get; }

    /// <summary>The largest entry this segment accepts: its quota or the cache's byte bound, whichever is smaller.</summary>
    public long LargestValueBytes { get; }

    /// <summary>No byte bound applies (neither the cache's nor a quota): an overwrite may grow without making room.</summary>
    public bool GrowsFreely { get; }

    /// <summary>The tenant's part of every node's sketch hash (a seed for the key's hash), the same in every process.</summary>
    public long Hash { get; }

    /// <summary>
    /// True when the tenant has a quota: only then are its entries kept in their own recency order
    /// (<see cref="Order"/>), which a quota eviction walks. Without one the order would cost every replayed read and
    /// every insert a list move for nothing.
    /// </summary>
    public bool KeepsOrder { get; }

    /// <summary>The tenant's entries, least recently used first (maintenance lock); empty unless <see cref="KeepsOrder"/>.</summary>
    public IntrusiveList<TenantLinks> Order { get; } = new();
}
