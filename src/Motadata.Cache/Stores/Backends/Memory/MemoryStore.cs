using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;

namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>
/// The in-process backend: one <see cref="TenantSegment"/> per namespace, each a table keyed by the caller's key
/// string (<see cref="NodeTable"/>), and one W-TinyLFU eviction policy over them all (see <c>MemoryStore.Eviction.cs</c>). Values are held by
/// reference. A hit is a tenant lookup, a key lookup, an expiry check and a record in a lossy read buffer: no lock, no
/// allocation (a reader replays its ring into the policy when it fills, see <c>MemoryStore.Eviction.cs</c>). Inserts, removals and
/// evictions take the maintenance lock, so <see cref="CacheConfig.MaxSize"/>, <see cref="CacheConfig.MaxMemoryBytes"/>
/// and the tenant quotas are exact bounds at every moment. Expired entries are reclaimed by a timer wheel.
/// </summary>
internal sealed partial class MemoryStore : ICacheStore
{
    // Rough object sizes for the byte estimate (64-bit runtime): an entry (its node and its share of the table), a string's
    // header, an array's header, and anything else.
    private const long EntryOverheadBytes = 96;
    private const long StringOverheadBytes = 22;
    private const long ArrayOverheadBytes = 24;
    private const long OtherObjectBytes = 64;

    /// <summary>TTLs from this long on take their start from the coarse clock (see <see cref="ExpiresAt"/>).</summary>
    private static readonly TimeSpan CoarseTtlThreshold = CoarseClock.Margin * 100;

    private readonly ConcurrentDictionary<string, TenantSegment> _segments = new();

    // The segment this thread looked up last, and its store: a caller serving one tenant asks for the same tenant
    // again and again, and comparing the id with the last one's is cheaper than hashing it. Per thread, so tenants
    // alternating on other threads cost nothing here; safe because a segment lives as long as its store.
    [ThreadStatic]
    private static MemoryStore? t_lastStore;
    [ThreadStatic]
    private static TenantSegment? t_lastSegment;
    private readonly TenantSegment _global;
    private readonly CacheConfig _config;
    private readonly CacheCounters _statistics;
    private readonly TimeProvider _time;
    private readonly ITimer _expirationTimer;
    private readonly CoarseClock _coarseClock;
    private readonly ReadBuffer _reads;

    public MemoryStore(CacheConfig config, CacheCounters statistics, TimeProvider time)
    {
        _config = config;
        _statistics = statistics;
        _time = time;
        _coarseClock = CoarseClock.For(time);
        _maxSize = config.MaxSize;
        // Reads are replayed on the reader unless the pool replay is asked for (see ReplayOnPoolSwitch).
        ReplayOnReader = (AppContext.TryGetSwitch(ReplayOnReaderSwitch, out var onReader) && onReader)
            || !(AppContext.TryGetSwitch(ReplayOnPoolSwitch, out var onPool) && onPool);

        _maxBytes = config.MaxMemoryBytes ?? long.MaxValue;

        // The global namespace has no quota: the per-tenant bounds are for named tenants.
        _global = new TenantSegment(null, statistics.Global, null, null, _maxBytes);
        _sketch = new FrequencySketch(config.MaxSize);
        _windowMax = Math.Max(1, _maxSize / 100);
        var main = _maxSize - _windowMax;
        _protectedMax = (int)(main * 8L / 10);
        _climber = new WindowClimber(_maxSize, (int)Math.Min(int.MaxValue, 10L * _maxSize), _sketch);

        _expirationTimer = time.CreateTimer(
            static state => ((MemoryStore)state!).RemoveExpired(),
            this,
            config.ExpirationScanInterval,
            config.ExpirationScanInterval);
    }

    public string Name => "memory";

    /// <summary>The segment of <paramref name="tenantId"/> if it was ever written to or asked for, without creating it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TenantSegment? FindSegment(string? tenantId)
    {
        if (tenantId is null)
        {
            return _global;
        }

        var last = t_lastSegment;
        if (last is not null && string.Equals(last.TenantId, tenantId, StringComparison.Ordinal) && ReferenceEquals(t_lastStore, this))
        {
            return last;
        }

        return FindSegmentAndRemember(tenantId);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private TenantSegment? FindSegmentAndRemember(string tenantId)
    {
        // TryGetValue on the dictionary itself: GetValueOrDefault would go through an interface.
        if (!_segments.TryGetValue(tenantId, out var segment))
        {
            return null;
        }

        t_lastStore = this;
        t_lastSegment = segment;
        return segment;
    }

    /// <summary>The segment of <paramref name="tenantId"/>, created (with its quota) on first use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TenantSegment Segment(string? tenantId)
    {
        if (tenantId is null)
        {
            return _global;
        }

        return FindSegment(tenantId) ?? AddSegment(tenantId);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet<T>(in CacheKey key, [MaybeNullWhen(false)] out T value)
    {
        if (FindSegment(key.TenantId) is { } segment)
        {
            return TryGet(segment, key.Key, out value);
        }

        value = default;
        return false;
    }

    /// <summary>Looks <paramref name="key"/> up in <paramref name="segment"/>: the whole hit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet<T>(TenantSegment segment, string key, [MaybeNullWhen(false)] out T value)
    {
        if (segment.Entries.TryGetValue(key, out var node))
        {
            var expiresAt = Volatile.Read(ref node.ExpiresAt);
            if (expiresAt == MemoryNode.NeverExpires || _coarseClock.IsSurelyBefore(expiresAt) || _time.GetTimestamp() < expiresAt)
            {
                var raw = node.Value;
                if (raw is T typed)
                {
                    RecordRead(node);
                    value = typed;
                    return true;
                }

                if (raw is null && default(T) is null)
                {
                    // A cached null is a hit (negative caching), for every type that can hold null.
                    RecordRead(node);
                    value = default!;
                    return true;
                }

                // Stored as another type: not what the caller asked for, so a miss; the entry stays.
                value = default;
                return false;
            }

            RemoveExpiredOnRead(node);
        }

        value = default;
        return false;
    }

    public bool Set<T>(in CacheKey key, T value, TimeSpan ttl) => Set(Segment(key.TenantId), key.Key, value, ttl);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> in <paramref name="segment"/>; false when the value is too large.</summary>
    public bool Set<T>(TenantSegment segment, string key, T value, TimeSpan ttl)
    {
        var expiresAt = ExpiresAt(ttl);
        var bytes = EstimateBytes(key, value);
        object? boxed = value;
        if (!segment.Entries.TryGetValue(key, out var node))
        {
            // A new key: the entry and its sketch hash are made before the maintenance lock, which every insert takes,
            // so the lock is held only for the policy's work (a lost race with another writer of the key drops them).
            var created = new MemoryNode(key, segment) { Value = boxed, ExpiresAt = expiresAt, Bytes = (int)bytes };
            return SetUnderLock(segment, key, boxed, expiresAt, bytes, created, created.SketchHash);
        }

        switch (TryOverwrite(node, boxed, expiresAt, bytes))
        {
            case Overwrite.Done:
                return true;
            case Overwrite.Refused:
                return false;
        }

        return SetUnderLock(segment, key, boxed, expiresAt, bytes, null, 0);
    }

    public bool Delete(in CacheKey key) =>
        FindSegment(key.TenantId) is { } segment && Delete(segment, key.Key);

    /// <summary>Removes <paramref name="key"/> from <paramref name="segment"/>; true when a live entry was removed.</summary>
    public bool Delete(TenantSegment segment, string key) =>
        segment.Entries.TryGetValue(key, out var node) && RemoveLive(node);

    /// <summary>
    /// Gives the live entry under <paramref name="key"/> a new TTL if it still holds <paramref name="expected"/>
    /// (the same reference); false, changing nothing, when it was removed, expired or overwritten meanwhile. A
    /// read-then-Set would bring a removed entry back, or put an old value over a newer one.
    /// </summary>
    internal bool TryExtend(in CacheKey key, object expected, TimeSpan ttl)
    {
        if (FindSegment(key.TenantId) is not { } segment || !segment.Entries.TryGetValue(key.Key, out var node))
        {
            return false;
        }

        var expiresAt = ExpiresAt(ttl);
        if (expiresAt < Volatile.Read(ref node.ExpiresAt))
        {
            // Sooner than before: the entry moves to an earlier timer wheel bucket, under the maintenance lock.
            lock (_sync)
            {
                if (!TryExtend(node, expected, expiresAt))
                {
                    return false;
                }

                Reschedule(node);
            }
        }
        else if (!TryExtend(node, expected, expiresAt))
        {
            return false;
        }

        RecordRead(node);
        return true;
    }

    private bool TryExtend(MemoryNode node, object expected, long expiresAt)
    {
        lock (node)
        {
            var current = node.ExpiresAt;
            if (node.Removed
                || !ReferenceEquals(node.Value, expected)
                || (current != MemoryNode.NeverExpires && _time.GetTimestamp() >= current))
            {
                return false;
            }

            Volatile.Write(ref node.ExpiresAt, expiresAt);
            return true;
        }
    }

    /// <summary>How long the entry under <paramref name="key"/> has left (infinite for none); false when there is none. For tests.</summary>
    internal bool TryGetRemainingLifetime(in CacheKey key, out TimeSpan remaining)
    {
        if (FindSegment(key.TenantId) is { } segment && segment.Entries.TryGetValue(key.Key, out var node) && IsLive(node))
        {
            var expiresAt = Volatile.Read(ref node.ExpiresAt);
            remaining = expiresAt == MemoryNode.NeverExpires
                ? Timeout.InfiniteTimeSpan
                : TimeSpan.FromSeconds((expiresAt - _time.GetTimestamp()) / (double)_time.TimestampFrequency);
            return true;
        }

        remaining = default;
        return false;
    }

    public long Invalidate(string? tenantId, GlobPattern pattern)
    {
        if (FindSegment(tenantId) is not { } segment)
        {
            return 0;
        }

        if (pattern.ExactKey is { } exactKey)
        {
            return Delete(segment, exactKey) ? 1 : 0;
        }

        // Only this namespace's entries are visited: the cost is the tenant's size, not the cache's. Matched outside
        // the maintenance lock, against a snapshot taken under it (see Snapshot).
        long removed = 0;
        foreach (var node in Snapshot(segment))
        {
            if (pattern.IsMatch(node.Key) && RemoveLive(node))
            {
                removed++;
            }
        }

        return removed;
    }

    public long Clear(string? tenantId)
    {
        if (tenantId is not null)
        {
            return FindSegment(tenantId) is { } segment ? Clear(segment) : 0;
        }

        var removed = Clear(_global);
        foreach (var pair in _segments)
        {
            removed += Clear(pair.Value);
        }

        return removed;
    }

    /// <summary>Removes every entry of <paramref name="segment"/>; how many live ones were removed.</summary>
    public long Clear(TenantSegment segment)
    {
        long removed = 0;
        foreach (var node in Snapshot(segment))
        {
            if (RemoveLive(node))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>
    /// The entries of <paramref name="segment"/>, copied under the maintenance lock: every entry present throughout an
    /// <see cref="Invalidate"/> or <see cref="Clear(TenantSegment)"/> is in it, whatever inserts and table resizes run
    /// meanwhile (a walk of the live table could be moved past an entry by a resize). Entries are removed one by one
    /// afterwards, so other writers wait for the copy only, not for the whole removal.
    /// </summary>
    private MemoryNode[] Snapshot(TenantSegment segment)
    {
        lock (_sync)
        {
            return segment.Entries.ToArray();
        }
    }

    public long SetMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl) =>
        SetMany(Segment(tenantId), entries, ttl);

    /// <summary>Stores every pair in <paramref name="segment"/>; how many were stored.</summary>
    public long SetMany<T>(TenantSegment segment, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl)
    {
        long stored = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            if (Set(segment, entries[i].Key, entries[i].Value, ttl))
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

        // The store's own totals, changed with each entry under the maintenance lock: a true snapshot, where summing
        // the tenants' counters one after another could see one entry twice as it moved between tenants.
        return new StoreUsage(Volatile.Read(ref _size), Volatile.Read(ref _bytes));
    }

    public void Dispose()
    {
        _expirationTimer.Dispose();

        // The tables change only under the maintenance lock (see NodeTable). The policy's lists and the timer wheel
        // are let go too: a thread's last-segment cache (t_lastStore) may keep this store reachable until that thread
        // reads another store, and it must not keep every entry with it.
        lock (_sync)
        {
            _global.Entries.Clear();
            _global.Order.Clear();
            foreach (var pair in _segments)
            {
                pair.Value.Entries.Clear();
                pair.Value.Order.Clear();
            }

            _window.Clear();
            _probation.Clear();
            _protected.Clear();
            _wheel = null;
        }

        if (ReferenceEquals(t_lastStore, this))
        {
            t_lastStore = null;
            t_lastSegment = null;
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private static long EstimateBytes<T>(string key, T value)
    {
        var keyBytes = EntryOverheadBytes + StringOverheadBytes + (2L * key.Length);
        var total = keyBytes + value switch
        {
            null => 0,
            string text => StringOverheadBytes + (2L * text.Length),
            byte[] bytes => ArrayOverheadBytes + bytes.Length,
            _ => OtherObjectBytes,
        };

        // A node keeps its size in an int; only a value of about 2 GB reaches the cap, and it is counted the same way everywhere.
        return Math.Min(total, int.MaxValue);
    }

    /// <summary>True when <paramref name="tenantId"/> has a segment (its counters are bound to it and stay).</summary>
    public bool HasSegment(string tenantId) => _segments.ContainsKey(tenantId);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private TenantSegment AddSegment(string tenantId)
    {
        // Under the counters' tenant lock: the idle-tenant fold cannot fold away the counters this segment binds.
        lock (_statistics.TenantsLock)
        {
            return _segments.GetOrAdd(tenantId, static (id, store) =>
            {
                var (maxSize, maxBytes) = store._config.QuotaFor(id);
                return new TenantSegment(id, store._statistics.For(id), maxSize, maxBytes, store._maxBytes);
            }, this);
        }
    }

    /// <summary>
    /// Overwrites a live node in place, without the maintenance lock, when that cannot pass a bound: the value fits and
    /// the node does not grow under a byte bound. And when it does not make the entry expire sooner: its timer wheel
    /// bucket must never be later than its expiry (a later expiry is met early and the entry put back then). Anything
    /// else is left to <see cref="SetUnderLock"/>.
    /// </summary>
    private Overwrite TryOverwrite(MemoryNode node, object? boxed, long expiresAt, long bytes)
    {
        var segment = node.Segment;
        long delta;
        lock (node)
        {
            if (node.Removed)
            {
                return Overwrite.NeedsLock;
            }

            if (bytes > segment.LargestValueBytes)
            {
                segment.Counters.RecordRejectedValue();
                return Overwrite.Refused;
            }

            delta = bytes - node.Bytes;
            if ((delta > 0 && !segment.GrowsFreely) || expiresAt < node.ExpiresAt)
            {
                return Overwrite.NeedsLock;
            }

            node.Value = boxed;
            Volatile.Write(ref node.ExpiresAt, expiresAt);
            node.Bytes = (int)bytes;
        }

        if (delta != 0)
        {
            Interlocked.Add(ref _bytes, delta);
            segment.Counters.AddBytes(delta);
        }

        RecordRead(node);
        return Overwrite.Done;
    }

    private long ExpiresAt(TimeSpan ttl)
    {
        if (ttl == Timeout.InfiniteTimeSpan)
        {
            return MemoryNode.NeverExpires;
        }

        // TTL in timestamp units, saturating: a TTL of centuries is as good as none.
        var frequency = _time.TimestampFrequency;
        long units;
        if (frequency % TimeSpan.TicksPerSecond == 0)
        {
            var unitsPerTick = frequency / TimeSpan.TicksPerSecond;
            units = ttl.Ticks > (MemoryNode.NeverExpires - 1) / unitsPerTick ? MemoryNode.NeverExpires - 1 : ttl.Ticks * unitsPerTick;
        }
        else
        {
            units = (long)Math.Min(ttl.Ticks * ((double)frequency / TimeSpan.TicksPerSecond), MemoryNode.NeverExpires - 1);
        }

        units = Math.Max(1, units);

        // A long TTL starts from the coarse clock, which is never ahead of the precise one: the entry may expire up to
        // a scheduler tick early (at most CoarseClock.Margin on a stalled VM, under 1% of such a TTL), never late, and
        // an overwrite skips the precise read (about 24 ns on a VM).
        if (ttl < CoarseTtlThreshold || !_coarseClock.TryGetLowerBound(out var now))
        {
            now = _time.GetTimestamp();
        }

        return units >= MemoryNode.NeverExpires - 1 - now ? MemoryNode.NeverExpires - 1 : now + units;
    }

    private bool IsLive(MemoryNode node)
    {
        var expiresAt = Volatile.Read(ref node.ExpiresAt);
        return expiresAt == MemoryNode.NeverExpires || _time.GetTimestamp() < expiresAt;
    }

    private enum Overwrite
    {
        Done,
        Refused,
        NeedsLock,
    }
}
