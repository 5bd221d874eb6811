using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Motadata.Cache.Stats;

/// <summary>
/// An exact counter that threads rarely contend on: each thread adds to one of a few cells, each on its own cache
/// line, and a read sums the cells. Used for hits and misses, which every call touches.
/// </summary>
internal sealed class StripedCounter
{
    // Eight longs per cell keep each cell on its own 64-byte cache line; cell i is at (i + 1) * CellStride, so the first
    // one is a line after the array's header too (a bounds check reads the length there: see Cell).
    private const int CellStride = 8;
    private static readonly int s_cellMask = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount * 2, 1, 64)) - 1;

    private readonly long[] _cells = new long[(s_cellMask + 2) * CellStride];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Increment() => Interlocked.Increment(ref Cell());

    /// <summary>Adds <paramref name="amount"/> (rare: a folded tenant's figures moving to the shared counters).</summary>
    public void Add(long amount) => Interlocked.Add(ref Cell(), amount);

    /// <summary>
    /// The calling thread's cell: by the core it runs on, so threads running at once add to different cells. Unsafe.Add:
    /// in range by construction, and a bounds check would read the array's length, on a line another core writes to.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref long Cell() =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_cells), ((Thread.GetCurrentProcessorId() & s_cellMask) + 1) * CellStride);

    public long Sum()
    {
        long total = 0;
        for (var i = CellStride; i < _cells.Length; i += CellStride)
        {
            total += Volatile.Read(ref _cells[i]);
        }

        return total;
    }

    public void Reset()
    {
        for (var i = CellStride; i < _cells.Length; i += CellStride)
        {
            Interlocked.Exchange(ref _cells[i], 0);
        }
    }
}
