using System.Numerics;
using System.Runtime.CompilerServices;

namespace Motadata.Cache.Stats;

/// <summary>
/// An exact counter that threads rarely contend on: each thread adds to one of a few cells, each on its own cache
/// line, and a read sums the cells. Used for hits and misses, which every call touches.
/// </summary>
internal sealed class StripedCounter
{
    // Eight longs per cell keep each cell on its own 64-byte cache line.
    private const int CellStride = 8;
    private static readonly int s_cellMask = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount * 2, 1, 64)) - 1;

    private readonly long[] _cells = new long[(s_cellMask + 1) * CellStride];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Increment()
    {
        var index = (Environment.CurrentManagedThreadId & s_cellMask) * CellStride;
        Interlocked.Increment(ref _cells[index]);
    }

    /// <summary>Adds <paramref name="amount"/> (rare: a folded tenant's figures moving to the shared counters).</summary>
    public void Add(long amount)
    {
        var index = (Environment.CurrentManagedThreadId & s_cellMask) * CellStride;
        Interlocked.Add(ref _cells[index], amount);
    }

    public long Sum()
    {
        long total = 0;
        for (var i = 0; i < _cells.Length; i += CellStride)
        {
            total += Volatile.Read(ref _cells[i]);
        }

        return total;
    }

    public void Reset()
    {
        for (var i = 0; i < _cells.Length; i += CellStride)
        {
            Interlocked.Exchange(ref _cells[i], 0);
        }
    }
}
