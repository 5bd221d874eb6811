using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>
/// A count-min sketch of how often each key was used recently (Caffeine's <c>FrequencySketch</c>, in its blocked
/// form): four 4-bit counters per key, read as the minimum. After ten times the cache's size of increments every
/// counter is halved (aging), so the sketch follows a workload that changes. Used only under the maintenance lock.
/// </summary>
/// <remarks>
/// A key's four counters all lie in one block of eight longs, and each block is one 64-byte cache line (the table is
/// aligned to one), so counting a replayed read costs one cache miss where four independent rows cost four: on a
/// replay over 10,000 keys the sketch was the largest part of the policy's work per read (issue 24,
/// docs/benchmarks.md). The counter of each of the four rows is picked within the block by a second hash, as in
/// Caffeine since 3.0.
/// </remarks>
internal sealed class FrequencySketch
{
    private const long ResetMask = 0x7777777777777777L;
    private const long OneMask = 0x1111111111111111L;
    private const int MaxTableLength = 1 << 20;
    private const int LongsPerBlock = 8;

    // Pinned (never moved), so the offset that aligns the first block to a cache line stays right.
    private readonly long[] _table;
    private readonly int _start;
    private readonly int _length;
    private readonly int _blockMask;
    private readonly int _sampleSize;
    private int _size;

    public FrequencySketch(int maximumSize)
    {
        // One long (sixteen 4-bit counters) per entry the cache can hold, as Caffeine sizes it: with fewer, the
        // counters fill up between agings and keys used once start to look frequent.
        var wanted = Math.Clamp(maximumSize, LongsPerBlock, MaxTableLength);
        _length = (int)BitOperations.RoundUpToPowerOf2((uint)wanted);
        _table = GC.AllocateArray<long>(_length + LongsPerBlock, pinned: true);
        _start = AlignedStart(_table);
        _blockMask = (_length / LongsPerBlock) - 1;
        _sampleSize = (int)Math.Min(10L * Math.Max(maximumSize, 16), int.MaxValue);
    }

    /// <summary>The estimated count of <paramref name="hash"/>, 0 to 15.</summary>
    public int Frequency(int hash)
    {
        var blockHash = Spread(hash);
        var counterHash = Rehash(blockHash);
        ref var block = ref Block(blockHash);
        var frequency = int.MaxValue;
        for (var i = 0; i < 4; i++)
        {
            var slot = CounterOf(ref block, counterHash, i, out var counter);
            frequency = Math.Min(frequency, (int)((ulong)slot >> (counter << 2)) & 0xF);
        }

        return frequency;
    }

    /// <summary>Counts one use of <paramref name="hash"/>; ages the whole table every sample period.</summary>
    public void Increment(int hash) => Increment(hash, 1);

    /// <summary>
    /// Counts <paramref name="times"/> uses of <paramref name="hash"/> at once (a replayed read and the reads that
    /// repeated it): each counter grows by that much, up to 15, and the aging period by as much if any counter grew.
    /// </summary>
    public void Increment(int hash, int times)
    {
        var blockHash = Spread(hash);
        var counterHash = Rehash(blockHash);
        ref var block = ref Block(blockHash);
        var added = false;
        for (var i = 0; i < 4; i++)
        {
            ref var slot = ref CounterOf(ref block, counterHash, i, out var counter);
            added |= IncrementAt(ref slot, counter, times);
        }

        if (added)
        {
            _size += times;
            if (_size >= _sampleSize)
            {
                Reset();
            }
        }
    }

    private static int AlignedStart(long[] table)
    {
        // The element index at which the table's data reaches a 64-byte boundary (the array is pinned, so the
        // address the handle reports stays true).
        var handle = GCHandle.Alloc(table, GCHandleType.Pinned);
        try
        {
            var address = (ulong)handle.AddrOfPinnedObject();
            return (int)(((64 - (address & 63)) & 63) / sizeof(long));
        }
        finally
        {
            handle.Free();
        }
    }

    private static int Spread(int value)
    {
        var x = (uint)value;
        x ^= x >> 17;
        x *= 0xed5ad4bb;
        x ^= x >> 11;
        x *= 0xac4c1b51;
        x ^= x >> 15;
        return (int)x;
    }

    private static int Rehash(int value)
    {
        var x = (uint)value * 0x31848bab;
        x ^= x >> 14;
        return (int)x;
    }

    private static bool IncrementAt(ref long slot, int counter, int times)
    {
        var offset = counter << 2;
        var current = (int)((ulong)slot >> offset) & 0xF;
        if (current == 15)
        {
            return false;
        }

        var next = Math.Min(15, current + times);
        slot += (long)(next - current) << offset;
        return true;
    }

    /// <summary>
    /// Row <paramref name="row"/>'s counter of a key in its block: one of the row's two longs, and which of its sixteen
    /// 4-bit counters (<paramref name="counter"/>), both picked by that row's byte of the key's second hash.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref long CounterOf(ref long block, int counterHash, int row, out int counter)
    {
        var h = counterHash >>> (row << 3);
        counter = (h >>> 1) & 15;
        return ref Unsafe.Add(ref block, (h & 1) + (row << 1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref long Block(int blockHash) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_table), _start + ((blockHash & _blockMask) * LongsPerBlock));

    private void Reset()
    {
        var odd = 0;
        var table = _table.AsSpan(_start, _length);
        for (var i = 0; i < table.Length; i++)
        {
            odd += BitOperations.PopCount((ulong)(table[i] & OneMask));
            table[i] = (long)((ulong)table[i] >> 1) & ResetMask;
        }

        _size = (_size - (odd >> 2)) >> 1;
    }
}
