using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;

namespace Motadata.Cache.Stores.Memory;

/// <summary>
/// The in-process backend: one concurrent dictionary of entries, split into <see cref="MemoryShard"/> eviction
/// domains when sharding is on. Values are held by reference. A hit is one dictionary lookup, one clock read and
/// a flag write, and allocates nothing; expired entries are removed when read and by a background scan.
/// </summary>
internal sealed partial class MemoryStore : ICacheStore
{
    // Rough object sizes for the byte estimate (64-bit runtime): an entry with its dictionary node, a string's
    // header, an array's header, and anything else.
    private const long EntryOverheadBytes = 96;
    private const long StringOverheadBytes = 22;
    private const long ArrayOverheadBytes = 24;
    private const long OtherObjectBytes = 64;

    private readonly ConcurrentDictionary<CacheKey, MemoryEntry> _entries;
    private readonly MemoryShard[] _shards;
    private readonly CacheStatistics _statistics;
    private readonly TimeProvider _time;
    private readonly ITimer _expirationTimer;
    private readonly CoarseClock _coarseClock;
    private int _scanning;

    public MemoryStore(CacheConfig config, CacheStatistics statistics, TimeProvider time)
    {
        _statistics = statistics;
        _time = time;
        _coarseClock = CoarseClock.For(time);
        var shardCount = config.EnableSharding ? config.ShardCount : 1;
        _entries = new ConcurrentDictionary<CacheKey, MemoryEntry>(
            concurrencyLevel: Math.Max(Environment.ProcessorCount, shardCount),
            capacity: Math.Min(config.MaxSize, 1 << 16));
        _shards = new MemoryShard[shardCount];
        for (var i = 0; i < shardCount; i++)
        {
            // Spread the bounds so that the shards add up to exactly MaxSize (and MaxMemoryBytes).
            var capacity = (config.MaxSize / shardCount) + (i < config.MaxSize % shardCount ? 1 : 0);
            var maxBytes = config.MaxMemoryBytes is { } total
                ? (total / shardCount) + (i < total % shardCount ? 1 : 0)
                : long.MaxValue;
            _shards[i] = new MemoryShard(this, capacity, maxBytes);
        }

        _expirationTimer = time.CreateTimer(
            static state => ((MemoryStore)state!).RemoveExpired(),
            this,
            config.ExpirationScanInterval,
            config.ExpirationScanInterval);
    }

    public string Name => "memory";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet<T>(in CacheKey key, [MaybeNullWhen(false)] out T value) => TryGetEntry(key, out value, out _);

    /// <summary>
    /// <see cref="TryGet{T}"/> that also gives the entry on a hit, so the facade can count the hit on
    /// <see cref="MemoryEntry.Counters"/>, the entry's own namespace counters, instead of looking the tenant up.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryGetEntry<T>(in CacheKey key, [MaybeNullWhen(false)] out T value, [NotNullWhen(true)] out MemoryEntry? hit)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            var expiresAt = Volatile.Read(ref entry.ExpiresAt);
            if (expiresAt == MemoryEntry.NeverExpires || _coarseClock.IsSurelyBefore(expiresAt) || _time.GetTimestamp() < expiresAt)
            {
                var raw = entry.Value;
                if (raw is T typed)
                {
                    MarkAccessed(entry);
                    value = typed;
                    hit = entry;
                    return true;
                }

                if (raw is null && default(T) is null)
                {
                    // A cached null is a hit (negative caching), for every type that can hold null.
                    MarkAccessed(entry);
                    value = default!;
                    hit = entry;
                    return true;
                }

                // Stored as another type: not what the caller asked for, so a miss; the entry stays.
                value = default;
                hit = null;
                return false;
            }

            Remove(entry, RemovalReason.Expired);
        }

        value = default;
        hit = null;
        return false;
    }

    public bool Set<T>(in CacheKey key, T value, TimeSpan ttl)
    {
        var expiresAt = ExpiresAt(ttl);
        var bytes = EstimateBytes(key, value);
        object? boxed = value;
        while (true)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                long delta;
                lock (existing)
                {
                    if (existing.Removed)
                    {
                        goto insert;
                    }

                    if (bytes > existing.Shard.MaxBytes)
                    {
                        existing.Counters.RecordRejectedValue();
                        return false;
                    }

                    existing.Value = boxed;
                    Volatile.Write(ref existing.ExpiresAt, expiresAt);
                    delta = bytes - existing.Bytes;
                    existing.Bytes = bytes;
                }

                MarkAccessed(existing);
                if (delta != 0)
                {
                    existing.Counters.AddBytes(delta);
                    existing.Shard.AddBytes(delta);
                    existing.Shard.TrimBytes();
                }

                return true;
            }

        insert:
            var shard = ShardOf(key);
            var counters = _statistics.For(key.TenantId);
            if (bytes > shard.MaxBytes)
            {
                counters.RecordRejectedValue();
                return false;
            }

            var entry = new MemoryEntry(key, shard, counters) { Value = boxed, ExpiresAt = expiresAt, Bytes = bytes };
            shard.Reserve();

            // Counted before the entry is visible and uncounted (in Remove) before its slot is given back, so a
            // tenant's Size never dips below zero nor counts an entry that holds no slot.
            counters.AddEntry(bytes);
            shard.AddBytes(bytes);
            if (_entries.TryAdd(key, entry))
            {
                shard.Enqueue(entry);
                shard.TrimBytes();
                return true;
            }

            // Another writer added the key first: give the slot back and overwrite theirs.
            counters.RemoveEntry(bytes);
            shard.AddBytes(-bytes);
            shard.Release();
        }
    }

    public bool Delete(in CacheKey key) =>
        _entries.TryGetValue(key, out var entry) && RemoveLive(entry, RemovalReason.Deleted);

    /// <summary>
    /// Gives the live entry under <paramref name="key"/> a new TTL if it still holds <paramref name="expected"/>
    /// (the same reference); false, changing nothing, when it was removed, expired or overwritten meanwhile. A
    /// read-then-Set would bring a removed entry back, or put an old value over a newer one.
    /// </summary>
    internal bool TryExtend(in CacheKey key, object expected, TimeSpan ttl)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return false;
        }

        var expiresAt = ExpiresAt(ttl);
        lock (entry)
        {
            var current = entry.ExpiresAt;
            if (entry.Removed
                || !ReferenceEquals(entry.Value, expected)
                || (current != MemoryEntry.NeverExpires && _time.GetTimestamp() >= current))
            {
                return false;
            }

            Volatile.Write(ref entry.ExpiresAt, expiresAt);
        }

        MarkAccessed(entry);
        return true;
    }

    public long Invalidate(string? tenantId, GlobPattern pattern)
    {
        if (pattern.ExactKey is { } exactKey)
        {
            return Delete(new CacheKey(tenantId, exactKey)) ? 1 : 0;
        }

        long removed = 0;
        foreach (var pair in _entries)
        {
            var key = pair.Key;
            if (string.Equals(key.TenantId, tenantId, StringComparison.Ordinal)
                && pattern.IsMatch(key.Key)
                && RemoveLive(pair.Value, RemovalReason.Deleted))
            {
                removed++;
            }
        }

        return removed;
    }

    public long Clear(string? tenantId)
    {
        long removed = 0;
        foreach (var pair in _entries)
        {
            if ((tenantId is null || string.Equals(pair.Key.TenantId, tenantId, StringComparison.Ordinal))
                && RemoveLive(pair.Value, RemovalReason.Deleted))
            {
                removed++;
            }
        }

        return removed;
    }

    public long SetMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl)
    {
        long stored = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            if (Set(new CacheKey(tenantId, entries[i].Key), entries[i].Value, ttl))
            {
                stored++;
            }
        }

        return stored;
    }

    public StoreUsage GetUsage(string? tenantId)
    {
        if (tenantId is not null)
        {
            var counters = _statistics.Find(tenantId);
            return counters is null ? default : new StoreUsage(counters.Size, counters.MemoryBytes);
        }

        // The size is the dictionary's own count, a true snapshot: summing the tenants' counters one after another
        // could see an entry's slot reused by another tenant before its own count went down, and pass MaxSize.
        long bytes = 0;
        foreach (var counters in _statistics.All())
        {
            bytes += counters.MemoryBytes;
        }

        return new StoreUsage(_entries.Count, bytes);
    }

    /// <summary>
    /// Takes <paramref name="entry"/> out of the dictionary if it is still there, and settles its accounting.
    /// Returns false when another thread removed it first.
    /// </summary>
    internal bool Remove(MemoryEntry entry, RemovalReason reason)
    {
        long bytes;
        if (reason == RemovalReason.Expired)
        {
            // A writer may have brought the entry back to life (an in-place Set) since the caller saw it expired:
            // look again under the entry's lock, which writers take, and take it out while holding that lock.
            lock (entry)
            {
                var expiresAt = entry.ExpiresAt;
                if (entry.Removed
                    || expiresAt == MemoryEntry.NeverExpires
                    || _time.GetTimestamp() < expiresAt
                    || !_entries.TryRemove(new KeyValuePair<CacheKey, MemoryEntry>(entry.Key, entry)))
                {
                    return false;
                }

                entry.Removed = true;
                bytes = entry.Bytes;
            }
        }
        else
        {
            if (!_entries.TryRemove(new KeyValuePair<CacheKey, MemoryEntry>(entry.Key, entry)))
            {
                return false;
            }

            lock (entry)
            {
                entry.Removed = true;
                bytes = entry.Bytes;
            }
        }

        entry.Counters.RemoveEntry(bytes);
        entry.Shard.AddBytes(-bytes);
        entry.Shard.Release();
        switch (reason)
        {
            case RemovalReason.Evicted:
                entry.Counters.RecordEviction();
                break;
            case RemovalReason.Expired:
                entry.Counters.RecordExpiration();
                break;
        }

        return true;
    }

    /// <summary>Scans every entry and removes the expired ones; runs on the expiration timer.</summary>
    internal void RemoveExpired()
    {
        if (Interlocked.CompareExchange(ref _scanning, 1, 0) != 0)
        {
            return;
        }

        try
        {
            var now = _time.GetTimestamp();
            foreach (var pair in _entries)
            {
                if (Volatile.Read(ref pair.Value.ExpiresAt) <= now)
                {
                    Remove(pair.Value, RemovalReason.Expired);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _scanning, 0);
        }
    }

    public void Dispose()
    {
        _expirationTimer.Dispose();
        _entries.Clear();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Removes an entry that a caller asked to remove, counting it only if it had not expired (an expired entry
    /// is gone already as far as any reader can tell).
    /// </summary>
    private bool RemoveLive(MemoryEntry entry, RemovalReason reason)
    {
        while (true)
        {
            var expiresAt = Volatile.Read(ref entry.ExpiresAt);
            if (expiresAt == MemoryEntry.NeverExpires || _time.GetTimestamp() < expiresAt)
            {
                return Remove(entry, reason);
            }

            if (Remove(entry, RemovalReason.Expired) || Volatile.Read(ref entry.Removed))
            {
                return false;
            }

            // Rewritten since it was seen expired: it is live again, so look once more.
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MarkAccessed(MemoryEntry entry)
    {
        // Read before write: a hot entry's flag is already set, and skipping the store keeps its cache line shared.
        if (!entry.Accessed)
        {
            entry.Accessed = true;
        }
    }

    private MemoryShard ShardOf(in CacheKey key) =>
        _shards.Length == 1 ? _shards[0] : _shards[(uint)key.GetHashCode() % (uint)_shards.Length];

    private long ExpiresAt(TimeSpan ttl)
    {
        if (ttl == Timeout.InfiniteTimeSpan)
        {
            return MemoryEntry.NeverExpires;
        }

        // TTL in timestamp units, saturating: a TTL of centuries is as good as none.
        var frequency = _time.TimestampFrequency;
        long units;
        if (frequency % TimeSpan.TicksPerSecond == 0)
        {
            var unitsPerTick = frequency / TimeSpan.TicksPerSecond;
            units = ttl.Ticks > (MemoryEntry.NeverExpires - 1) / unitsPerTick ? MemoryEntry.NeverExpires - 1 : ttl.Ticks * unitsPerTick;
        }
        else
        {
            units = (long)Math.Min(ttl.Ticks * ((double)frequency / TimeSpan.TicksPerSecond), MemoryEntry.NeverExpires - 1);
        }

        units = Math.Max(1, units);
        var now = _time.GetTimestamp();
        return units >= MemoryEntry.NeverExpires - 1 - now ? MemoryEntry.NeverExpires - 1 : now + units;
    }

    private static long EstimateBytes<T>(in CacheKey key, T value)
    {
        var keyBytes = EntryOverheadBytes + StringOverheadBytes + (2L * key.Key.Length);
        return keyBytes + value switch
        {
            null => 0,
            string text => StringOverheadBytes + (2L * text.Length),
            byte[] bytes => ArrayOverheadBytes + bytes.Length,
            _ => OtherObjectBytes,
        };
    }
}
