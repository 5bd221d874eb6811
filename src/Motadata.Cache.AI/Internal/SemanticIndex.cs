using System.Numerics.Tensors;

namespace Motadata.Cache.AI.Internal;

/// <summary>
/// One tenant's cached prompts in this process, bounded, grouped by scope. Each scope keeps its vectors in one
/// contiguous slab, and an 8-bit copy of them in another: a lookup runs SIMD integer dot products over the 8-bit slab
/// (a quarter of the bytes to read) and scores exactly, with <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>,
/// only the vectors whose approximation plus its error bound reaches the threshold, so the result is that of an exact
/// scan. Vectors are normalised, so a dot product is the cosine similarity.
/// </summary>
internal sealed class SemanticIndex(int maxEntries)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SemanticEntry> _entries = new(StringComparer.Ordinal);

    // Entries in the order they were added, oldest first, for eviction in constant time; removed ones are skipped
    // when they reach the front (and the queue is rebuilt when they outnumber the live ones).
    private readonly Queue<SemanticEntry> _order = new();
    private readonly Dictionary<string, Partition> _partitions = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The bytes held for vectors (slab capacity, four a float) plus an estimate of the per-entry objects, for reporting memory per vector.</summary>
    public long VectorBytes
    {
        get
        {
            lock (_lock)
            {
                long bytes = 0;
                foreach (var partition in _partitions.Values)
                {
                    bytes += ((long)partition.Vectors.Length * sizeof(float)) + partition.Quantized.Length + ((long)partition.Scales.Length * 2 * sizeof(float));
                }

                return bytes;
            }
        }
    }

    /// <summary>Adds or replaces an entry; past the bound, the oldest entry leaves.</summary>
    public void Add(SemanticEntry entry)
    {
        lock (_lock)
        {
            if (_entries.ContainsKey(entry.Id))
            {
                RemoveLocked(entry.Id);
            }

            if (_entries.Count >= maxEntries)
            {
                RemoveLocked(OldestLocked().Id);
            }

            var vector = entry.Vector ?? throw new ArgumentException("The entry has no vector.", nameof(entry));
            if (!_partitions.TryGetValue(entry.Scope, out var partition))
            {
                partition = new Partition(vector.Length, maxEntries);
                _partitions[entry.Scope] = partition;
            }

            if (partition.Dimensions != vector.Length)
            {
                // Another embedding model wrote this scope: vectors of different sizes cannot be compared.
                return;
            }

            partition.Append(entry);
            _entries[entry.Id] = entry;
            _order.Enqueue(entry);
            if (_order.Count > (2 * _entries.Count) + 64)
            {
                CompactOrderLocked();
            }
        }
    }

    public bool Remove(string id)
    {
        lock (_lock)
        {
            return RemoveLocked(id);
        }
    }

    public bool Contains(string id)
    {
        lock (_lock)
        {
            return _entries.ContainsKey(id);
        }
    }

    /// <summary>Drops every entry (the tenant was cleared on the server).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _partitions.Clear();
            _order.Clear();
        }
    }

    /// <summary>Drops the entries that expired by <paramref name="nowUtcTicks"/>.</summary>
    public void RemoveExpired(long nowUtcTicks)
    {
        lock (_lock)
        {
            List<string>? expired = null;
            foreach (var (id, entry) in _entries)
            {
                if (entry.ExpiresAtUtcTicks <= nowUtcTicks)
                {
                    (expired ??= []).Add(id);
                }
            }

            if (expired is not null)
            {
                foreach (var id in expired)
                {
                    RemoveLocked(id);
                }
            }
        }
    }

    /// <summary>
    /// The entries of <paramref name="scope"/> whose similarity to <paramref name="query"/> (normalised) is at least
    /// <paramref name="threshold"/>, not expired and cached at or after <paramref name="minCachedAtUtcTicks"/>, best first.
    /// </summary>
    public List<(SemanticEntry Entry, float Score)>? Search(string scope, ReadOnlySpan<float> query, float threshold, long nowUtcTicks, long minCachedAtUtcTicks)
    {
        List<(SemanticEntry Entry, float Score)>? found = null;
        lock (_lock)
        {
            if (!_partitions.TryGetValue(scope, out var partition) || partition.Dimensions != query.Length)
            {
                return null;
            }

            var dimensions = partition.Dimensions;
            var vectors = partition.Vectors.AsSpan(0, partition.Count * dimensions);
            var quantized = partition.Quantized.AsSpan(0, partition.Count * dimensions);
            var scales = partition.Scales;
            var l1s = partition.L1s;
            sbyte[]? rented = null;
            var query8 = dimensions <= 4096 ? stackalloc sbyte[dimensions] : (rented = System.Buffers.ArrayPool<sbyte>.Shared.Rent(dimensions)).AsSpan(0, dimensions);
            var (queryScale, queryL1) = QuantizedVector.Quantize(query, query8);
            for (var i = 0; i < partition.Count; i++)
            {
                // First pass on the 8-bit copies (a quarter of the bytes); only a vector that could reach the threshold,
                // error bound included, is scored exactly on its floats.
                var approximate = queryScale * scales[i] * QuantizedVector.Dot(query8, quantized.Slice(i * dimensions, dimensions));
                if (approximate + QuantizedVector.ErrorBound(queryScale, queryL1, scales[i], l1s[i], dimensions) < threshold)
                {
                    continue;
                }

                var score = TensorPrimitives.Dot(query, vectors.Slice(i * dimensions, dimensions));
                if (score >= threshold)
                {
                    var entry = partition.Entries[i];
                    if (entry.ExpiresAtUtcTicks > nowUtcTicks && entry.CachedAtUtcTicks >= minCachedAtUtcTicks)
                    {
                        (found ??= []).Add((entry, score));
                    }
                }
            }

            if (rented is not null)
            {
                System.Buffers.ArrayPool<sbyte>.Shared.Return(rented);
            }
        }

        found?.Sort(static (a, b) => b.Score.CompareTo(a.Score));
        return found;
    }

    /// <summary>The entry added longest ago that is still here (the order of adding: a prompt loaded from another instance counts from its load).</summary>
    private SemanticEntry OldestLocked()
    {
        while (true)
        {
            var entry = _order.Peek();
            if (_entries.TryGetValue(entry.Id, out var current) && current == entry)
            {
                return entry;
            }

            _order.Dequeue();
        }
    }

    private void CompactOrderLocked()
    {
        var live = _order.Where(e => _entries.TryGetValue(e.Id, out var current) && current == e).ToArray();
        _order.Clear();
        foreach (var entry in live)
        {
            _order.Enqueue(entry);
        }
    }

    private bool RemoveLocked(string id)
    {
        if (!_entries.Remove(id, out var entry))
        {
            return false;
        }

        var partition = _partitions[entry.Scope];
        partition.RemoveAt(entry.Slot);
        if (partition.Count == 0)
        {
            _partitions.Remove(entry.Scope);
        }

        return true;
    }

    /// <summary>The entries of one scope: vectors back to back in one array, entries at the same positions.</summary>
    private sealed class Partition(int dimensions, int maxEntries)
    {
        public int Dimensions { get; } = dimensions;

        public float[] Vectors { get; private set; } = new float[dimensions * 4];

        /// <summary>The 8-bit copies of <see cref="Vectors"/>, with each one's scale and L1 norm (<see cref="QuantizedVector"/>).</summary>
        public sbyte[] Quantized { get; private set; } = new sbyte[dimensions * 4];

        public float[] Scales { get; private set; } = new float[4];

        public float[] L1s { get; private set; } = new float[4];

        public SemanticEntry[] Entries { get; private set; } = new SemanticEntry[4];

        public int Count { get; private set; }

        public void Append(SemanticEntry entry)
        {
            if (Count == Entries.Length)
            {
                // Doubling, but never past the tenant's bound: 10,000 vectors of 1,536 floats are 61 MB already.
                var capacity = Math.Max(Count + 1, Math.Min(Count * 2, maxEntries));
                Entries = Grow(Entries, Count, capacity, 1);
                Vectors = Grow(Vectors, Count, capacity, Dimensions);
                Quantized = Grow(Quantized, Count, capacity, Dimensions);
                Scales = Grow(Scales, Count, capacity, 1);
                L1s = Grow(L1s, Count, capacity, 1);
            }

            var slot = Vectors.AsSpan(Count * Dimensions, Dimensions);
            entry.Vector!.CopyTo(slot);
            (Scales[Count], L1s[Count]) = QuantizedVector.Quantize(slot, Quantized.AsSpan(Count * Dimensions, Dimensions));
            entry.Vector = null;
            Entries[Count] = entry;
            entry.Slot = Count;
            Count++;
        }

        private static T[] Grow<T>(T[] array, int count, int capacity, int width)
        {
            var grown = new T[capacity * width];
            array.AsSpan(0, count * width).CopyTo(grown);
            return grown;
        }

        /// <summary>Removes the entry at <paramref name="slot"/> by moving the last one into its place.</summary>
        public void RemoveAt(int slot)
        {
            var last = Count - 1;
            if (slot != last)
            {
                Vectors.AsSpan(last * Dimensions, Dimensions).CopyTo(Vectors.AsSpan(slot * Dimensions, Dimensions));
                Quantized.AsSpan(last * Dimensions, Dimensions).CopyTo(Quantized.AsSpan(slot * Dimensions, Dimensions));
                Scales[slot] = Scales[last];
                L1s[slot] = L1s[last];
                Entries[slot] = Entries[last];
                Entries[slot].Slot = slot;
            }

            Entries[last] = null!;
            Count--;
        }
    }
}
