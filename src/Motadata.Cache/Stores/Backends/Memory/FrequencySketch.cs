using System.Numerics;

namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>
/// A count-min sketch of how often each key was used recently (Caffeine's <c>FrequencySketch</c>): four 4-bit
/// counters per key in a table of longs, read as the minimum. After ten times the cache's size of increments every
/// counter is halved (aging), so the sketch follows a workload that changes. Used only under the maintenance lock.
/// </summary>
internal sealed class FrequencySketch
{
    private const long ResetMask = 0x7777777777777777L;
    private const long OneMask = 0x1111111111111111L;
    private const int MaxTableLength = 1 << 20;

    private static readonly ulong[] s_seeds = [0xc3a5c85c97cb3127UL, 0xb492b66fbe98f273UL, 0x9ae16a3b2f90404fUL, 0xcbf29ce484222325UL];

    private readonly long[] _table;
    private readonly int _tableMask;
    private readonly int _sampleSize;
    private int _size;

    public FrequencySketch(int maximumSize)
    {
        // One long (sixteen 4-bit counters) per entry the cache can hold, as Caffeine sizes it: with fewer, the
        // counters fill up between agings and keys used once start to look frequent.
        var wanted = Math.Clamp(maximumSize, 16, MaxTableLength);
        _table = new long[BitOperations.RoundUpToPowerOf2((uint)wanted)];
        _tableMask = _table.Length - 1;
        _sampleSize = (int)Math.Min(10L * Math.Max(maximumSize, 16), int.MaxValue);
    }

    /// <summary>The estimated count of <paramref name="hash"/>, 0 to 15.</summary>
    public int Frequency(int hash)
    {
        var spread = Spread(hash);
        var start = (spread & 3) << 2;
        var frequency = int.MaxValue;
        for (var i = 0; i < 4; i++)
        {
            var index = IndexOf(spread, i);
            var count = (int)(((ulong)_table[index] >> ((start + i) << 2)) & 0xF);
            frequency = Math.Min(frequency, count);
        }

        return frequency;
    }

    /// <summary>Counts one use of <paramref name="hash"/>; ages the whole table every sample period.</summary>
    public void Increment(int hash)
    {
        var spread = Spread(hash);
        var start = (spread & 3) << 2;
        var added = false;
        for (var i = 0; i < 4; i++)
        {
            added |= IncrementAt(IndexOf(spread, i), start + i);
        }

        if (added && ++_size == _sampleSize)
        {
            Reset();
        }
    }

    private static int Spread(int value)
    {
        var x = (uint)value;
        x = ((x >> 16) ^ x) * 0x45d9f3b;
        x = ((x >> 16) ^ x) * 0x45d9f3b;
        return (int)((x >> 16) ^ x);
    }

    private int IndexOf(int item, int i)
    {
        var hash = ((ulong)(uint)item + s_seeds[i]) * s_seeds[i];
        hash += hash >> 32;
        return (int)hash & _tableMask;
    }

    private bool IncrementAt(int index, int counter)
    {
        var offset = counter << 2;
        var mask = 0xFL << offset;
        if ((_table[index] & mask) != mask)
        {
            _table[index] += 1L << offset;
            return true;
        }

        return false;
    }

    private void Reset()
    {
        var odd = 0;
        for (var i = 0; i < _table.Length; i++)
        {
            odd += BitOperations.PopCount((ulong)(_table[i] & OneMask));
            _table[i] = (long)((ulong)_table[i] >> 1) & ResetMask;
        }

        _size = (_size - (odd >> 2)) >> 1;
    }
}
