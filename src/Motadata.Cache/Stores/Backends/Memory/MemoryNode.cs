namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>
/// One entry of the memory store. Mutable on purpose: overwriting an existing key updates the node in place, so an
/// overwrite with a reference value allocates nothing. <see cref="Value"/> is written before
/// <see cref="ExpiresAt"/> (a release), and readers read <see cref="ExpiresAt"/> first (an acquire).
/// </summary>
/// <remarks>
/// The value fields change under a lock on the node; the list links (<see cref="Previous"/>, <see cref="Next"/>,
/// <see cref="Queue"/>, <see cref="TenantPrevious"/>, <see cref="TenantNext"/>, <see cref="TimerPrevious"/>,
/// <see cref="TimerNext"/>) only under the store's maintenance lock, which a hit never takes. Three pairs of links,
/// all threaded by the one <see cref="IntrusiveList{TLinks}"/>: the W-TinyLFU region, the tenant's order (only for a
/// tenant with a quota) and the timer wheel bucket (only for an entry with a TTL).
/// </remarks>
internal sealed class MemoryNode
{
    public const long NeverExpires = long.MaxValue;

#pragma warning disable CA1051 // Fields, not properties: Volatile and Interlocked need refs to them, and the hit path reads them.
    public readonly string Key;
    public readonly TenantSegment Segment;

    /// <summary>
    /// The (tenant, key) hash the frequency sketch counts under, computed once when the node is made: a replayed read
    /// counts it without hashing the key again (the hash was a tenth of the policy's work per replayed read).
    /// </summary>
    /// <remarks>
    /// XxHash3 of the key seeded with the tenant's: the same in every process (unlike <c>string.GetHashCode</c> and
    /// <c>HashCode.Combine</c>), so which key wins an admission tie does not change from run to run.
    /// </remarks>
    public readonly int SketchHash;

    /// <summary>The key's hash in its segment's <see cref="NodeTable"/>, which files the node there (set by the table, under the maintenance lock).</summary>
    public int KeyHash;

    /// <summary>
    /// The next node in this node's <see cref="NodeTable"/> chain: written under the maintenance lock, read by lookups
    /// without one. Kept when the node is removed, so a lookup standing on it walks on.
    /// </summary>
    public MemoryNode? BucketNext;

    public object? Value;

    /// <summary>A <see cref="TimeProvider.GetTimestamp"/> value, or <see cref="NeverExpires"/>.</summary>
    public long ExpiresAt;

    /// <summary>The estimated size (at most <see cref="int.MaxValue"/>: an int keeps the small fields in 8 bytes); changed only under a lock on the node.</summary>
    public int Bytes;

    /// <summary>Set, under a lock on the node, once it is out of its segment's table.</summary>
    public bool Removed;

    /// <summary>
    /// The store's replay epoch in which a read of this node was last recorded: a node already waiting in the read
    /// buffer is not recorded again until the buffer is replayed. A byte (it only has to differ from the current
    /// epoch), written without a lock: a lost or stale value costs one unrecorded read.
    /// </summary>
    public byte ReadEpoch;

    /// <summary>Reads of this node since it was recorded in the current epoch, up to 15 (a sketch counter's most); replayed with it.</summary>
    public byte RepeatedReads;

    public MemoryNode? Previous;
    public MemoryNode? Next;
    public NodeQueue Queue;
    public MemoryNode? TenantPrevious;
    public MemoryNode? TenantNext;
    public MemoryNode? TimerPrevious;
    public MemoryNode? TimerNext;
#pragma warning restore CA1051

    public MemoryNode(string key, TenantSegment segment)
    {
        Key = key;
        Segment = segment;
        SketchHash = unchecked((int)System.IO.Hashing.XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(key.AsSpan()), segment.Hash));
    }

    private MemoryNode()
    {
        Key = string.Empty;
        Segment = null!;
    }

    /// <summary>True for the sentinel of an <see cref="IntrusiveList{TLinks}"/> (never an entry).</summary>
    public bool IsSentinel => Segment is null;

    /// <summary>A list's sentinel: no key, no segment, never in a table.</summary>
    public static MemoryNode NewSentinel() => new();

}

/// <summary>Which W-TinyLFU region a node is in; <see cref="None"/> once it left the store (or before it entered).</summary>
internal enum NodeQueue : byte
{
    None,
    Window,
    Probation,
    Protected,
}

/// <summary>Why an entry left the memory store at a caller's or the clock's request (evictions have <see cref="Stats.EvictionReason"/>).</summary>
internal enum RemovalReason
{
    Deleted,
    Expired,
}
