using System.Runtime.InteropServices;

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
/// <para>
/// Laid out by hand (the runtime would put every reference first, then the long, the ints and the bytes): what a hit
/// reads (<see cref="Key"/>, <see cref="Value"/>, <see cref="ExpiresAt"/>, <see cref="KeyHash"/>) in the first
/// 28 bytes, so a hit touches one cache line of the node in most cases instead of two (the hash sat 92 bytes after
/// the key); what the policy's replay writes (<see cref="Queue"/> and the links) from byte 55 on, so a replay on one
/// core does not take the lookup line away from readers on the others. Same 120 bytes as before.
/// </para>
/// </remarks>
[StructLayout(LayoutKind.Explicit)]
internal sealed class MemoryNode
{
    public const long NeverExpires = long.MaxValue;

#pragma warning disable CA1051 // Fields, not properties: Volatile and Interlocked need refs to them, and the hit path reads them.

    // What a hit reads, from offset 0: the key, the value, the expiry and the table hash.
    [FieldOffset(0)]
    public readonly string Key;

    [FieldOffset(8)]
    public object? Value;

    /// <summary>A <see cref="TimeProvider.GetTimestamp"/> value, or <see cref="NeverExpires"/>.</summary>
    [FieldOffset(16)]
    public long ExpiresAt;

    /// <summary>The key's hash in its segment's <see cref="NodeTable"/>, which files the node there (set by the table, under the maintenance lock).</summary>
    [FieldOffset(24)]
    public int KeyHash;

    /// <summary>The estimated size (at most <see cref="int.MaxValue"/>: an int keeps the small fields in 8 bytes); changed only under a lock on the node.</summary>
    [FieldOffset(28)]
    public int Bytes;

    /// <summary>
    /// The next node in this node's <see cref="NodeTable"/> chain: written under the maintenance lock, read by lookups
    /// without one. Kept when the node is removed, so a lookup standing on it walks on.
    /// </summary>
    [FieldOffset(32)]
    public MemoryNode? BucketNext;

    [FieldOffset(40)]
    public readonly TenantSegment Segment;

    /// <summary>
    /// The (tenant, key) hash the frequency sketch counts under, computed once when the node is made: a replayed read
    /// counts it without hashing the key again (the hash was a tenth of the policy's work per replayed read).
    /// </summary>
    /// <remarks>
    /// XxHash3 of the key seeded with the tenant's: the same in every process (unlike <c>string.GetHashCode</c> and
    /// <c>HashCode.Combine</c>), so which key wins an admission tie does not change from run to run.
    /// </remarks>
    [FieldOffset(48)]
    public readonly int SketchHash;

    /// <summary>Set, under a lock on the node, once it is out of its segment's table.</summary>
    [FieldOffset(52)]
    public bool Removed;

    // What the policy writes, under the maintenance lock, from offset 55.
    [FieldOffset(55)]
    public NodeQueue Queue;

    [FieldOffset(56)]
    public MemoryNode? Previous;

    [FieldOffset(64)]
    public MemoryNode? Next;

    [FieldOffset(72)]
    public MemoryNode? TenantPrevious;

    [FieldOffset(80)]
    public MemoryNode? TenantNext;

    [FieldOffset(88)]
    public MemoryNode? TimerPrevious;

    [FieldOffset(96)]
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
