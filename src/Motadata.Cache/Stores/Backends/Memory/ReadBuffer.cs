using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>
/// Where hits record which node they read, so the eviction policy can replay them later, in a batch, under its lock:
/// a hit never takes a lock. Striped by thread (each thread writes to its own ring of slots most of the time) and
/// lossy: when a ring is full, or two threads race for one slot, a record is dropped, which only makes the policy's
/// picture of recent reads a little less complete.
/// </summary>
internal sealed class ReadBuffer
{
    /// <summary><see cref="TryRecord"/>: the ring was full, nothing recorded.</summary>
    public const int Full = 0;

    /// <summary><see cref="TryRecord"/>: recorded.</summary>
    public const int Recorded = 1;

    /// <summary><see cref="TryRecord"/>: recorded, and this ring took another half ring's worth of records since it last said so: time to replay.</summary>
    public const int RecordedHalfFull = 2;

    // Sixteen ints apart: each stripe's write position sits on its own 64-byte cache line, and the first one a line
    // after the array's header (whose length a bounds check would read: a reader on another core would then share the
    // line that stripe 0's owner writes on every read).
    private const int TailStride = 16;

    // The slots start one cache line into their array, for the same reason.
    private const int SlotPadding = 8;

    private readonly MemoryNode?[] _slots;

    // Per slot (same index), the reads of its node that came right after it on the same thread, up to 15 (a sketch
    // counter's most): written by the ring's owner only, so a hot key read again and again costs a compare and a byte
    // in the reader's own ring, and nothing is written to the entry.
    private readonly byte[] _repeats;
    private readonly int[] _tails;
    private readonly int[] _drainedTails;

    // Per stripe, 0 when nobody is emptying the ring, else 1 (a drain) or 2 (its owner clearing it), one line apart: a
    // ring is drained or cleared by one thread at a time, so every record is counted once, replayed or dropped.
    private readonly int[] _busy;
    private readonly int _stripeMask;
    private readonly int _slotsPerStripe;
    private readonly int _slotMask;
    private readonly int _halfMask;

    /// <param name="slotsPerStripe">
    /// The ring of each stripe, a power of two. 256 for a store that replays on the reader (the ring fills and the
    /// reader replays it: the lock and the batch are paid once per 256 reads). 512 for one that replays on a pool
    /// thread: a replay is asked for every 256 reads of a thread (so queueing it, and waking a pool thread, is paid once
    /// per 256 reads), and the other 256 give the pool thread time to start (several microseconds of hits) before the
    /// reader finds its ring full and replays it itself.
    /// </param>
    public ReadBuffer(int slotsPerStripe)
    {
        _slotsPerStripe = slotsPerStripe;
        _slotMask = slotsPerStripe - 1;
        _halfMask = (slotsPerStripe / 2) - 1;

        // Two stripes per CPU for the reader's replay (rings are handed out to threads in turn, see t_stripe: more
        // threads than rings share them, so fewer would put two busy readers on one ring more often), one for the
        // pool's; at most 64: a ring of 256 slots is 2 KB, one of 512 4 KB.
        var stripes = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount * (slotsPerStripe > 256 ? 1 : 2), 1, 64));
        _stripeMask = stripes - 1;
        _slots = new MemoryNode?[SlotPadding + (stripes * slotsPerStripe)];
        _repeats = new byte[_slots.Length];
        _tails = new int[(stripes + 1) * TailStride];
        _drainedTails = new int[stripes];
        _busy = new int[(stripes + 1) * TailStride];
    }

    // The calling thread's stripe number plus one (0: none yet), handed out in turn: threads made one after another
    // (the readers of a service, a benchmark's threads) get different rings, and a thread keeps its ring, so one
    // reader's records are replayed in the order it read, whatever core it runs on. (Striping by thread id let two
    // threads share a ring whenever their ids matched in the low bits; striping by core made a lone reader's replay
    // order, and so hit ratios, depend on the scheduler.)
    [ThreadStatic]
    private static int t_stripe;
    private static int s_stripesHandedOut;

    /// <summary>The most records one <see cref="DrainTo"/> can return.</summary>
    public int Capacity => _slots.Length - SlotPadding;

    /// <summary>Records a read of <paramref name="node"/>: <see cref="Recorded"/>, <see cref="RecordedHalfFull"/> or <see cref="Full"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TryRecord(MemoryNode node)
    {
        // The thread's own ring (see t_stripe). Unsafe.Add: in range by construction, and a bounds check would read the
        // array's length (see TailStride).
        var stripe = ThreadStripe() & _stripeMask;
        ref var tail = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tails), LineOf(stripe));
        var position = tail;
        var first = RingStart(stripe);

        // The same node as this thread's last record, not replayed yet: counted on that record. (A drain that takes
        // the record meanwhile loses the count, which the buffer allows.)
        var last = first + ((position - 1) & _slotMask);
        if (ReferenceEquals(Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), last), node))
        {
            ref var repeats = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_repeats), last);
            if (repeats < 15)
            {
                repeats++;
            }

            return Recorded;
        }

        var index = first + (position & _slotMask);
        ref var slot = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), index);
        if (slot is not null)
        {
            return Full;
        }

        // Plain writes: a racing thread on the same stripe can overwrite this record, which the buffer allows.
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_repeats), index) = 0;
        slot = node;
        tail = position + 1;
        return (position & _halfMask) == _halfMask ? RecordedHalfFull : Recorded;
    }

    /// <summary>Moves every recorded read into <paramref name="batch"/> and empties the rings; call under the maintenance lock.</summary>
    /// <param name="batch">At least <see cref="Capacity"/> long.</param>
    /// <param name="repeats">Per record moved, the reads that repeated it (see <see cref="_repeats"/>); as long as <paramref name="batch"/>.</param>
    /// <param name="everyStripe">
    /// Look at every ring, not only those written to since the last drain: after a full ring, whose write position a
    /// lost race may have left where the last drain saw it.
    /// </param>
    /// <returns>How many records were moved.</returns>
    public int DrainTo(MemoryNode[] batch, byte[] repeats, bool everyStripe)
    {
        var count = 0;
        for (var stripe = 0; stripe <= _stripeMask; stripe++)
        {
            count = DrainStripe(stripe, batch, repeats, count, everyStripe);
        }

        return count;
    }

    /// <summary>
    /// Empties the calling thread's ring without replaying it (its owner found it full while another thread held the
    /// maintenance lock): those records are dropped, so the reader records again at once.
    /// How many were dropped; 0 when a drain is emptying the ring at that moment (the drain replays them).
    /// </summary>
    public int ClearOwnStripe()
    {
        var stripe = ThreadStripe() & _stripeMask;
        ref var busy = ref _busy[LineOf(stripe)];
        if (Interlocked.CompareExchange(ref busy, 2, 0) != 0)
        {
            return 0;
        }

        var start = RingStart(stripe);
        var cleared = 0;
        for (var i = 0; i < _slotsPerStripe; i++)
        {
            ref var slot = ref _slots[start + i];
            if (slot is not null)
            {
                slot = null;
                cleared++;
            }
        }

        Volatile.Write(ref busy, 0);
        return cleared;
    }

    /// <summary>
    /// Moves the records of the calling thread's ring into <paramref name="batch"/> and empties it; call under the
    /// maintenance lock. A reader whose ring is full replays its own ring only: with several readers, each pays for
    /// its own reads (see <c>MemoryStore.OnReadBufferFilling</c>).
    /// </summary>
    public int DrainOwnStripeTo(MemoryNode[] batch, byte[] repeats) =>
        DrainStripe(ThreadStripe() & _stripeMask, batch, repeats, 0, everyStripe: true);

    /// <summary>Where <paramref name="stripe"/>'s write position (in <see cref="_tails"/>) and busy flag (in <see cref="_busy"/>) are: a cache line each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LineOf(int stripe) => (stripe + 1) * TailStride;

    /// <summary>The index of <paramref name="stripe"/>'s first slot in <see cref="_slots"/> (and <see cref="_repeats"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int RingStart(int stripe) => SlotPadding + (stripe * _slotsPerStripe);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ThreadStripe()
    {
        var stripe = t_stripe;
        return stripe != 0 ? stripe - 1 : NewThreadStripe();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int NewThreadStripe()
    {
        // Masked by each buffer (at most 64 stripes), so only the low bits matter.
        var stripe = Interlocked.Increment(ref s_stripesHandedOut) & 0xFFFF;
        t_stripe = stripe + 1;
        return stripe;
    }

    private int DrainStripe(int stripe, MemoryNode[] batch, byte[] repeats, int count, bool everyStripe)
    {
        var tail = Volatile.Read(ref _tails[LineOf(stripe)]);
        if (tail == _drainedTails[stripe] && !everyStripe)
        {
            return count;
        }

        ref var busy = ref _busy[LineOf(stripe)];
        if (Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            // Its owner is clearing it: nothing left to replay.
            return count;
        }

        _drainedTails[stripe] = tail;
        var start = RingStart(stripe);

        // Oldest first: the slots from the write position on were written a lap earlier than those before it.
        for (var i = 0; i < _slotsPerStripe; i++)
        {
            var index = start + ((tail + i) & _slotMask);
            ref var slot = ref _slots[index];
            if (Volatile.Read(ref slot) is { } node)
            {
                Volatile.Write(ref slot, null);
                repeats[count] = _repeats[index];
                batch[count++] = node;
            }
        }

        Volatile.Write(ref busy, 0);
        return count;
    }
}
