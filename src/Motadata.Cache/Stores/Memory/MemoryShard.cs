using System.Collections.Concurrent;

namespace Motadata.Cache.Stores.Memory;

/// <summary>
/// One eviction domain of the memory store: its share of the entry and byte bounds and a CLOCK queue (second
/// chance). A read only sets the entry's <see cref="MemoryEntry.Accessed"/> flag; eviction walks the queue in
/// insertion order, gives every recently read entry one more round and evicts the first that was not read, so what
/// was read recently survives, as with LRU, without a lock or a list move on the read path.
/// </summary>
internal sealed class MemoryShard
{
    private readonly ConcurrentQueue<MemoryEntry> _queue = new();
    private readonly MemoryStore _store;
    private readonly int _capacity;
    private readonly long _maxBytes;
    private int _count;
    private long _bytes;
    private int _queued;
    private int _compacting;

    public MemoryShard(MemoryStore store, int capacity, long maxBytes)
    {
        _store = store;
        _capacity = capacity;
        _maxBytes = maxBytes;
    }

    /// <summary>Entries held or about to be (reservations count), never above the capacity.</summary>
    public int Count => Volatile.Read(ref _count);

    public long MaxBytes => _maxBytes;

    /// <summary>Takes a slot for a new entry, evicting until one is free.</summary>
    public void Reserve()
    {
        var spinner = default(SpinWait);
        while (true)
        {
            var count = Volatile.Read(ref _count);
            if (count < _capacity)
            {
                if (Interlocked.CompareExchange(ref _count, count + 1, count) == count)
                {
                    return;
                }

                continue;
            }

            if (!EvictOne())
            {
                // Every slot is a reservation whose entry is not queued yet; it will be in a moment.
                spinner.SpinOnce();
            }
        }
    }

    /// <summary>Gives back a slot taken by <see cref="Reserve"/> (an entry removed, or an insert that lost a race).</summary>
    public void Release() => Interlocked.Decrement(ref _count);

    public void AddBytes(long delta) => Interlocked.Add(ref _bytes, delta);

    public void Enqueue(MemoryEntry entry)
    {
        _queue.Enqueue(entry);
        var queued = Interlocked.Increment(ref _queued);

        // Removed entries stay queued until the sweep reaches them; compact when they outnumber the live ones.
        if (queued > (2 * Volatile.Read(ref _count)) + 1024)
        {
            Compact();
        }
    }

    /// <summary>Evicts until the shard's bytes are within its bound (a no-op without <see cref="CacheConfig.MaxMemoryBytes"/>).</summary>
    public void TrimBytes()
    {
        while (Volatile.Read(ref _bytes) > _maxBytes)
        {
            if (!EvictOne())
            {
                return;
            }
        }
    }

    /// <summary>Evicts one entry; false when the queue holds nothing to evict.</summary>
    public bool EvictOne()
    {
        // Two passes at most: the first clears every Accessed flag it meets, the second then finds a victim.
        var budget = (2 * Volatile.Read(ref _queued)) + 2;
        while (budget-- > 0 && _queue.TryDequeue(out var entry))
        {
            Interlocked.Decrement(ref _queued);
            if (Volatile.Read(ref entry.Removed))
            {
                continue;
            }

            if (entry.Accessed)
            {
                entry.Accessed = false;
                _queue.Enqueue(entry);
                Interlocked.Increment(ref _queued);
                continue;
            }

            if (_store.Remove(entry, RemovalReason.Evicted))
            {
                return true;
            }
        }

        return false;
    }

    private void Compact()
    {
        if (Interlocked.CompareExchange(ref _compacting, 1, 0) != 0)
        {
            return;
        }

        try
        {
            var toVisit = Volatile.Read(ref _queued);
            while (toVisit-- > 0 && _queue.TryDequeue(out var entry))
            {
                if (!Volatile.Read(ref entry.Removed))
                {
                    _queue.Enqueue(entry);
                }
                else
                {
                    Interlocked.Decrement(ref _queued);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _compacting, 0);
        }
    }
}

/// <summary>Why an entry left the memory store.</summary>
internal enum RemovalReason
{
    Deleted,
    Evicted,
    Expired,
}
