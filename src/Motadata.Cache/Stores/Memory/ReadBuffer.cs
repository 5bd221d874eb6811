using System.Numerics;
using System.Runtime.CompilerServices;

namespace Motadata.Cache.Stores.Memory;

/// <summary>
/// Where hits record which node they read, so the eviction policy can replay them later, in a batch, under its lock:
/// a hit never takes a lock. Striped by thread (each thread writes to its own ring of slots most of the time) and
/// lossy: when a ring is full, or two threads race for one slot, a record is dropped, which only makes the policy's
/// picture of recent reads a little less complete.
/// </summary>
internal sealed class ReadBuffer
{
    private const int SlotsPerStripe = 64;
    private const int SlotMask = SlotsPerStripe - 1;

    // Sixteen ints apart: each stripe's write position sits on its own 64-byte cache line.
    private const int TailStride = 16;

    private readonly MemoryNode?[] _slots;
    private readonly int[] _tails;
    private readonly int[] _drainedTails;
    private readonly int _stripeMask;

    public ReadBuffer()
    {
        var stripes = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount * 2, 1, 64));
        _stripeMask = stripes - 1;
        _slots = new MemoryNode?[stripes * SlotsPerStripe];
        _tails = new int[stripes * TailStride];
        _drainedTails = new int[stripes];
    }

    /// <summary>The most records one <see cref="DrainTo"/> can return.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Records a read of <paramref name="node"/>; false when this thread's ring is full (nothing recorded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRecord(MemoryNode node)
    {
        var stripe = Environment.CurrentManagedThreadId & _stripeMask;
        ref var tail = ref _tails[stripe * TailStride];
        var position = tail;
        ref var slot = ref _slots[(stripe * SlotsPerStripe) + (position & SlotMask)];
        if (slot is not null)
        {
            return false;
        }

        // Plain writes: a racing thread on the same stripe can overwrite this record, which the buffer allows.
        slot = node;
        tail = position + 1;
        return true;
    }

    /// <summary>Moves every recorded read into <paramref name="batch"/> and empties the rings; call under the maintenance lock.</summary>
    /// <param name="batch">At least <see cref="Capacity"/> long.</param>
    /// <param name="everyStripe">
    /// Look at every ring, not only those written to since the last drain: after a full ring, whose write position a
    /// lost race may have left where the last drain saw it.
    /// </param>
    /// <returns>How many records were moved.</returns>
    public int DrainTo(MemoryNode[] batch, bool everyStripe)
    {
        var count = 0;
        for (var stripe = 0; stripe <= _stripeMask; stripe++)
        {
            var tail = Volatile.Read(ref _tails[stripe * TailStride]);
            if (tail == _drainedTails[stripe] && !everyStripe)
            {
                continue;
            }

            _drainedTails[stripe] = tail;
            var start = stripe * SlotsPerStripe;

            // Oldest first: the slots from the write position on were written a lap earlier than those before it.
            for (var i = 0; i < SlotsPerStripe; i++)
            {
                ref var slot = ref _slots[start + ((tail + i) & SlotMask)];
                if (Volatile.Read(ref slot) is { } node)
                {
                    Volatile.Write(ref slot, null);
                    batch[count++] = node;
                }
            }
        }

        return count;
    }
}
