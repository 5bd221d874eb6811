using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>
/// A segment's keys: a hash table from key string to <see cref="MemoryNode"/>, chained through the nodes themselves
/// (<see cref="MemoryNode.BucketNext"/>, <see cref="MemoryNode.KeyHash"/>), so an entry costs its node and a share of
/// the bucket array, and a hit walks bucket → node with nothing in between.
/// </summary>
/// <remarks>
/// <para>
/// <b>Contract.</b> <see cref="TryGetValue(string, out MemoryNode)"/> is lock-free and allocates nothing, from any
/// thread. Every mutation (<see cref="Add"/>, <see cref="TryRemove"/>, <see cref="Clear"/>) and
/// <see cref="ToArray"/> run only under the store's maintenance lock (<c>MemoryStore._sync</c>), which every insert
/// and removal holds already: one writer at a time, so the table needs no lock of its own. <see cref="Count"/> may be
/// read anywhere (a snapshot).
/// </para>
/// <para>
/// <b>Why readers need no lock.</b> A node is published by a release write of the bucket head (or of its
/// predecessor's link), after its fields are set. A removed node keeps its <see cref="MemoryNode.BucketNext"/>, so a
/// reader standing on it walks on to the rest of its chain; a node is never put back (a re-added key gets a new node),
/// so no chain ever loops. A hit is always right (the key is compared). Only a resize (doubling at load factor 1,
/// halving below a quarter) re-links live nodes into other chains, and a reader walking one then can miss a present
/// key: resizes are bracketed by a counter (odd while resizing), and a reader that missed checks it did not move and
/// otherwise looks again. So a present key is never reported missing; a hit costs no check.
/// </para>
/// <para>
/// <b>Hashing.</b> As the runtime's own string dictionaries do: first a fast non-randomized hash
/// (<see cref="FastHash"/>, the runtime's algorithm; about 3 times cheaper than Marvin on a 10-character key), and
/// once an insert finds a chain of <see cref="CollisionThreshold"/> nodes, which no ordinary keys make at load factor
/// 1, the table re-hashes every node with <see cref="string.GetHashCode()"/>, the randomized Marvin hash seeded afresh
/// in every process, for good. Keys chosen to collide under the fast hash so cost one re-hash, and no flood of them
/// can turn lookups linear (tests: <c>KeyFloodTests</c>). The switch is a resize for readers (same seqlock). The
/// stored hash is compared before the key and spares a resize from hashing every key again.
/// </para>
/// </remarks>
internal sealed class NodeTable
{
    private const int MinimumCapacity = 8;

    /// <summary>A chain this long makes the table switch to randomized hashing (the runtime's dictionaries use 100 too).</summary>
    internal const int CollisionThreshold = 100;

    private MemoryNode?[] _buckets = new MemoryNode?[MinimumCapacity];

    // Even when no resize is under way; incremented before and after each one (the seqlock misses are checked against).
    private int _version;

    private int _count;

    // Set once, for good, when a flood of colliding keys was seen: keys are then hashed with Marvin (see remarks).
    private bool _randomized;

    /// <summary>Nodes in the table (written under the maintenance lock).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Resizes so far (for tests).</summary>
    internal int Resizes => Volatile.Read(ref _version) >> 1;

    /// <summary>The bucket array's length (for tests).</summary>
    internal int Capacity => Volatile.Read(ref _buckets).Length;

    /// <summary>True once the table hashes with Marvin (for tests).</summary>
    internal bool IsRandomized => Volatile.Read(ref _randomized);

    /// <summary>
    /// The runtime's non-randomized string hash (<c>string.GetNonRandomizedHashCode</c>, MIT, dotnet/runtime): two
    /// lanes of djb2 over two characters at a time. It reads the string's terminating null for an odd length, as the
    /// runtime does (every .NET string has one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int FastHash(string key)
    {
        uint hash1 = (5381 << 16) + 5381;
        var hash2 = hash1;
        ref var bytes = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(key.AsSpan()));
        var length = key.Length;
        while (length > 2)
        {
            length -= 4;
            hash1 = (uint.RotateLeft(hash1, 5) + hash1) ^ Unsafe.ReadUnaligned<uint>(ref bytes);
            hash2 = (uint.RotateLeft(hash2, 5) + hash2) ^ Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref bytes, 4));
            bytes = ref Unsafe.Add(ref bytes, 8);
        }

        if (length > 0)
        {
            hash2 = (uint.RotateLeft(hash2, 5) + hash2) ^ Unsafe.ReadUnaligned<uint>(ref bytes);
        }

        return (int)(hash1 + (hash2 * 1566083941));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Hash(string key) => Volatile.Read(ref _randomized) ? key.GetHashCode() : FastHash(key);

    /// <summary>Finds the node of <paramref name="key"/>; lock-free, allocates nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out MemoryNode node)
    {
        // The version first: a hash computed before a switch to Marvin then misses, and the version says to look again.
        var version = Volatile.Read(ref _version);
        var hash = Hash(key);
        if (Find(Volatile.Read(ref _buckets), key, hash) is { } found)
        {
            node = found;
            return true;
        }

        // The walk's link reads are acquires, so this read comes after them: unchanged and even, no resize overlapped it.
        if ((version & 1) == 0 && Volatile.Read(ref _version) == version)
        {
            node = null;
            return false;
        }

        return TryGetValueDuringResize(key, out node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryGetValueDuringResize(string key, [MaybeNullWhen(false)] out MemoryNode node)
    {
        var spinner = default(SpinWait);
        while (true)
        {
            var version = Volatile.Read(ref _version);
            if ((version & 1) != 0)
            {
                // The writer is re-linking (under the maintenance lock, briefly): wait for it rather than walk a half-moved table.
                spinner.SpinOnce();
                continue;
            }

            if (Find(Volatile.Read(ref _buckets), key, Hash(key)) is { } found)
            {
                node = found;
                return true;
            }

            if (Volatile.Read(ref _version) == version)
            {
                node = null;
                return false;
            }
        }
    }

    /// <summary>
    /// The bucket of <paramref name="hash"/> in a table of <paramref name="length"/> (a power of two): the top bits of
    /// the hash times 2^32/φ (Fibonacci hashing). Not the low bits: the fast hash's low bits ignore a key's last
    /// character (it only reaches the upper half of a lane), so keys that differ in it, as numbered keys do, would
    /// share buckets; the multiplication carries every bit up.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BucketOf(int hash, int length) =>
        (int)(((uint)hash * 2654435769u) >> (BitOperations.LeadingZeroCount((uint)length) + 1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static MemoryNode? Find(MemoryNode?[] buckets, string key, int hash)
    {
        // The index is in range by construction (see BucketOf): no bounds check on the hit path.
        ref var head = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(buckets), BucketOf(hash, buckets.Length));
        for (var node = Volatile.Read(ref head); node is not null; node = Volatile.Read(ref node.BucketNext))
        {
            // An acquire, as the link reads are: the switch to Marvin rewrites the hash in place, and a reader that saw a
            // new hash must then see the odd version (a plain load could be reordered after the version check on ARM).
            if (Volatile.Read(ref node.KeyHash) == hash && string.Equals(node.Key, key, StringComparison.Ordinal))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Adds <paramref name="node"/>, new (never in a table before), whose key is not in the table; maintenance lock only.</summary>
    public void Add(MemoryNode node)
    {
        Debug.Assert(!TryGetValue(node.Key, out _), "The key is in the table already.");
        var buckets = _buckets;
        if (_count >= buckets.Length)
        {
            buckets = Resize(buckets.Length * 2, rehash: false);
        }

        node.KeyHash = Hash(node.Key);
        ref var head = ref buckets[BucketOf(node.KeyHash, buckets.Length)];
        node.BucketNext = head;

        // A release: a reader that finds the node sees its fields set.
        Volatile.Write(ref head, node);
        Volatile.Write(ref _count, _count + 1);

        if (!_randomized && ChainLength(node) >= CollisionThreshold)
        {
            // Keys chosen to collide under the fast hash (it is no secret): Marvin from now on.
            Resize(buckets.Length, rehash: true);
        }
    }

    private static int ChainLength(MemoryNode? node)
    {
        var length = 0;
        for (; node is not null; node = node.BucketNext)
        {
            length++;
        }

        return length;
    }

    /// <summary>Takes <paramref name="node"/> (this very node) out; false when it is not in the table. Maintenance lock only.</summary>
    public bool TryRemove(MemoryNode node)
    {
        var buckets = _buckets;
        ref var link = ref buckets[BucketOf(node.KeyHash, buckets.Length)];
        for (var current = link; current is not null; current = current.BucketNext)
        {
            if (current == node)
            {
                // The node keeps its own link: a reader standing on it walks on to the rest of the chain.
                Volatile.Write(ref link, node.BucketNext);
                Volatile.Write(ref _count, _count - 1);
                if (_count < buckets.Length / 4 && buckets.Length > MinimumCapacity)
                {
                    Resize(buckets.Length / 2, rehash: false);
                }

                return true;
            }

            link = ref current.BucketNext;
        }

        return false;
    }

    /// <summary>Empties the table (its nodes stay as they are, for readers standing on them); maintenance lock only.</summary>
    public void Clear()
    {
        Volatile.Write(ref _buckets, new MemoryNode?[MinimumCapacity]);
        Volatile.Write(ref _count, 0);
    }

    /// <summary>
    /// Every node in the table, in no order; maintenance lock only (so no resize and no removal runs meanwhile, and
    /// no node present throughout can be missed, as a lock-free walk across a resize could).
    /// </summary>
    public MemoryNode[] ToArray()
    {
        var nodes = new MemoryNode[_count];
        var copied = 0;
        foreach (var head in _buckets)
        {
            for (var node = head; node is not null; node = node.BucketNext)
            {
                nodes[copied++] = node;
            }
        }

        Debug.Assert(copied == nodes.Length, "The count matches the chains.");
        return nodes;
    }

    /// <summary>The longest chain (for tests: keys chosen to collide must not pile up in one).</summary>
    internal int LongestChain()
    {
        var longest = 0;
        foreach (var head in Volatile.Read(ref _buckets))
        {
            longest = Math.Max(longest, ChainLength(head));
        }

        return longest;
    }

    /// <summary>
    /// Re-links every node into a new bucket array of <paramref name="capacity"/>, hashing every key again with Marvin
    /// when <paramref name="rehash"/>; maintenance lock only. Readers that miss meanwhile see the odd version and look
    /// again once it is even.
    /// </summary>
    private MemoryNode?[] Resize(int capacity, bool rehash)
    {
        var old = _buckets;
        var buckets = new MemoryNode?[capacity];

        // A full fence: the odd version is visible before any link changes.
        Interlocked.Increment(ref _version);
        if (rehash)
        {
            Volatile.Write(ref _randomized, true);
        }

        foreach (var head in old)
        {
            var node = head;
            while (node is not null)
            {
                var next = node.BucketNext;
                if (rehash)
                {
                    Volatile.Write(ref node.KeyHash, node.Key.GetHashCode());
                }

                ref var newHead = ref buckets[BucketOf(node.KeyHash, capacity)];

                // Releases: a reader that reads a moved link sees the odd version after it.
                Volatile.Write(ref node.BucketNext, newHead);
                newHead = node;
                node = next;
            }
        }

        Volatile.Write(ref _buckets, buckets);
        Volatile.Write(ref _version, _version + 1);
        return buckets;
    }
}
