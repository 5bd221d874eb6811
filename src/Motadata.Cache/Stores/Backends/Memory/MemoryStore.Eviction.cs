using System.Runtime.CompilerServices;
using Motadata.Cache.Stats;
using AccessOrderList = Motadata.Cache.Stores.Backends.Memory.IntrusiveList<Motadata.Cache.Stores.Backends.Memory.PolicyLinks>;

namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>
/// The eviction policy: W-TinyLFU, as in Caffeine and BitFaster's <c>ConcurrentLfu</c>. New entries enter a small
/// window (1% of <see cref="CacheConfig.MaxSize"/> at first, then sized by <see cref="WindowClimber"/>), an LRU; what leaves the window joins the main region's
/// probation segment as a candidate, and when the cache is full a candidate is admitted only if the frequency sketch
/// says it is used more often than the victim (<see cref="Admission.Admits"/>) it would replace (probation's least recently used). Entries read
/// again while in probation move to the protected segment (80% of the main region). So a burst of keys used once
/// (a scan) cannot flush what is used often.
/// </summary>
/// <remarks>
/// Everything here runs under <see cref="_sync"/>, the maintenance lock, which inserts, removals and evictions take
/// and a hit never does: a hit only records the node in <see cref="ReadBuffer"/>, replayed here in batches.
/// Lock order: the maintenance lock, then a node's own lock.
/// </remarks>
internal sealed partial class MemoryStore
{
    private readonly Lock _sync = new();
    private readonly AccessOrderList _window = new(NodeQueue.Window);
    private readonly AccessOrderList _probation = new(NodeQueue.Probation);
    private readonly AccessOrderList _protected = new(NodeQueue.Protected);
    private readonly FrequencySketch _sketch;
    private MemoryNode[] _drained;
    private byte[] _drainedRepeats;
    private readonly int _maxSize;
    private readonly long _maxBytes;
    private readonly WindowClimber _climber;

    // Resized by the climber (under the lock); window + main = MaxSize, protected is part of main.
    private int _windowMax;
    private int _protectedMax;

    // Entries held (changed under the lock) and bytes held (also changed by in-place overwrites, so interlocked).
    private long _size;
    private long _bytes;

    // True while a reader holds the maintenance lock to replay its own full ring (set and cleared under the lock).
    private bool _readerReplaying;

    // Full rings met by readers so far, and the managed thread id of the reader that replayed last with the number of
    // the ring it replayed (0: none yet); see OnReadBufferFilling.
    private long _ringsFilled;
    private int _lastReplayer;
    private long _lastReplayFill;

    /// <summary>
    /// Records a read for the policy and returns. When this thread's ring is full, the reader replays it
    /// (<see cref="OnReadBufferFilling"/>); with the opt-in pool replay, every half ring is handed to a pool thread first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RecordRead(MemoryNode node)
    {
        // A read writes nothing to the entry: it is a record in the reader's own ring, or, when it repeats that ring's
        // last record, a count on it (see ReadBuffer). Until issue 24's last round an entry already in the ring was
        // marked and counted its repeats on itself: every read then wrote the entry's line, which readers on other
        // cores had to fetch back, the hot keys' most of all; without it, two and four readers over 10,000 keys went
        // 20-25% faster on Zipf(0.9) and one reader no slower, hit ratios unchanged.
        var recorded = _reads.TryRecord(node);
        if (recorded != ReadBuffer.Recorded)
        {
            OnReadBufferFilling(node, recorded);
        }
    }

    /// <summary>
    /// A ring full: the reader replays its own ring under the maintenance lock, when it is this reader's turn (it
    /// replayed the last ring replayed, or another full ring was dropped since), the lock is free and no other reader
    /// is replaying; it never waits for it. Otherwise this read and the ring's records go unrecorded (counted in
    /// <see cref="ReadsDropped"/>). So a single reader (alone or beside CPU hogs) loses nothing, and readers busy on
    /// every core shed part of the policy's work instead of queueing for the lock (issue 24, docs/memory-backend.md).
    /// A ring half full (the opt-in pool replay only): schedules a replay on a pool thread.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnReadBufferFilling(MemoryNode node, int recorded)
    {
        if (recorded == ReadBuffer.RecordedHalfFull)
        {
            ScheduleDrain();
            return;
        }

        // Whose turn: a reader replays a full ring if it replayed the last one replayed (or none was), or if at least
        // one other full ring was dropped since the last replay. So a lone reader replays every ring, and readers busy
        // at once replay at least every other full ring between them (the reader that replayed last keeps its turn
        // while the others' rings are dropped). Each replay on another core pulls the policy's lines (lists, sketch,
        // nodes) across: measured over 10,000 keys on two cores, a record replayed with two readers cost several
        // times one replayed with one (docs/benchmarks.md). A first rule, "the last ring to fill was your own",
        // replayed nothing at all when two readers' rings filled in strict alternation.
        var thread = Environment.CurrentManagedThreadId;
        var fill = Interlocked.Increment(ref _ringsFilled);
        var lastReplayer = Volatile.Read(ref _lastReplayer);
        var myTurn = lastReplayer == thread || lastReplayer == 0 || fill - Volatile.Read(ref _lastReplayFill) >= 2;

        // Another reader is replaying its own ring: this read goes unrecorded without touching the lock (trying it
        // would pull the lock's cache line from the replaying core on every read while this ring stays full).
        if (myTurn && !Volatile.Read(ref _readerReplaying) && _sync.TryEnter())
        {
            try
            {
                Volatile.Write(ref _readerReplaying, true);
                Volatile.Write(ref _lastReplayer, thread);
                Volatile.Write(ref _lastReplayFill, fill);
                DrainOwnReads();
                OnAccess(node, isRead: true);
                _climber.RecordHits(1);
                _readsReplayed++;
            }
            finally
            {
                Volatile.Write(ref _readerReplaying, false);
                _sync.Exit();
            }
        }
        else
        {
            // Another reader's turn, or another reader replaying: this ring's records are dropped with this read's.
            // With several readers busy on every core this is where the policy's work gives way to the reads, as the
            // lossy buffers of Caffeine and BitFaster do; a single reader, alone or beside CPU hogs, always has its
            // turn. The lock held by a writer or by the opt-in pool replay: only this read is dropped, and the ring
            // waits for the lock (a writer's insert replays every ring anyway).
            var shed = !myTurn || Volatile.Read(ref _readerReplaying);
            Interlocked.Add(ref _readsDropped, shed ? 1 + _reads.ClearOwnStripe() : 1);
        }
    }

    /// <summary>Replays every ring's records (see <see cref="ReadBuffer.DrainTo"/> for <paramref name="everyStripe"/>).</summary>
    private void DrainReads(bool everyStripe)
    {
        Replay(_reads.DrainTo(_drained, _drainedRepeats, everyStripe));
    }

    /// <summary>Replays the calling reader's own ring only (a reader whose ring is full; see <see cref="OnReadBufferFilling"/>).</summary>
    private void DrainOwnReads()
    {
        Replay(_reads.DrainOwnStripeTo(_drained, _drainedRepeats));
    }

    /// <summary>Replays the first <paramref name="count"/> records of <see cref="_drained"/> into the policy.</summary>
    private void Replay(int count)
    {
        _readsReplayed += count;

        // A dropped read record is still a hit for the climber: its sample's hit rate stays exact.
        var dropped = Interlocked.Read(ref _readsDropped);
        var hits = (int)(dropped - _droppedCounted) + count;
        _droppedCounted = dropped;
        for (var i = 0; i < count; i++)
        {
            var repeats = _drainedRepeats[i];
            hits += repeats;
            OnAccess(_drained[i], isRead: true, repeats);
            _drained[i] = null!;
        }

        _climber.RecordHits(hits);
    }

    /// <summary>
    /// Replays one access: counts it in the sketch and moves the node to its region's most recent end; a read
    /// (<paramref name="isRead"/>, not an overwrite) is also shown to the window's recency check as a hit.
    /// </summary>
    private void OnAccess(MemoryNode node, bool isRead, int repeats = 0)
    {
        switch (node.Queue)
        {
            case NodeQueue.None:
                // Removed since it was read (or a stale record of a node that never was linked).
                return;
            case NodeQueue.Window:
                _window.MoveToEnd(node);
                break;
            case NodeQueue.Probation:
                _probation.Remove(node);
                _protected.AddLast(node);
                if (_protected.Count > _protectedMax)
                {
                    var demoted = _protected.First!;
                    _protected.Remove(demoted);
                    _probation.AddLast(demoted);
                }

                break;
            case NodeQueue.Protected:
                _protected.MoveToEnd(node);
                break;
        }

        var hash = node.SketchHash;
        if (isRead)
        {
            _climber.Observe(hash, hit: true);
        }

        _sketch.Increment(hash, 1 + repeats);
        if (node.Segment.KeepsOrder)
        {
            node.Segment.Order.MoveToEnd(node);
        }
    }

    /// <summary>
    /// The insert (or an overwrite that may pass a byte bound), under the maintenance lock. <paramref name="created"/>
    /// is the new entry made before the lock when the key was not there (null: made here), <paramref name="createdHash"/> its sketch hash.
    /// </summary>
    private bool SetUnderLock(TenantSegment segment, string key, object? boxed, long expiresAt, long bytes, MemoryNode? created, int createdHash)
    {
        lock (_sync)
        {
            DrainReads(everyStripe: false);
            if (bytes > segment.LargestValueBytes)
            {
                segment.Counters.RecordRejectedValue();
                return false;
            }

            if (segment.Entries.TryGetValue(key, out var existing))
            {
                // Removals happen under this lock, so the node stays; in-place writers may still shrink it meanwhile.
                OnAccess(existing, isRead: false);
                var growth = bytes - Volatile.Read(ref existing.Bytes);
                if (growth > 0)
                {
                    MakeRoom(segment, 0, growth, existing);
                }

                long delta;
                lock (existing)
                {
                    existing.Value = boxed;
                    Volatile.Write(ref existing.ExpiresAt, expiresAt);
                    delta = bytes - existing.Bytes;
                    existing.Bytes = (int)bytes;
                }

                Interlocked.Add(ref _bytes, delta);
                segment.Counters.AddBytes(delta);
                Reschedule(existing);
                return true;
            }

            _climber.RecordMiss();
            AdaptWindow();
            var node = created ?? new MemoryNode(key, segment) { Value = boxed, ExpiresAt = expiresAt, Bytes = (int)bytes };

            // In the window (and the tenant's order) before room is made, so the window's overflow competes for
            // admission; counted only once room is made, so readers never see a bound passed.
            _window.AddLast(node);
            if (segment.KeepsOrder)
            {
                segment.Order.AddLast(node);
            }

            var hash = created is null ? node.SketchHash : createdHash;
            _sketch.Increment(hash);
            _climber.Observe(hash, hit: false);
            MakeRoom(segment, 1, bytes, node);

            segment.Entries.Add(node);
            Volatile.Write(ref _size, _size + 1);
            Interlocked.Add(ref _bytes, bytes);
            segment.Counters.AddEntry(bytes);
            if (expiresAt != MemoryNode.NeverExpires)
            {
                Wheel.Schedule(node);
            }

            return true;
        }
    }

    /// <summary>The frequency sketch's count for <paramref name="key"/> in <paramref name="segment"/> (0 when absent; for tests).</summary>
    internal int FrequencyOf(TenantSegment segment, string key)
    {
        lock (_sync)
        {
            return segment.Entries.TryGetValue(key, out var node) ? _sketch.Frequency(node.SketchHash) : 0;
        }
    }

    /// <summary>Entries in the protected segment now (for figures).</summary>
    internal int ProtectedCount
    {
        get
        {
            lock (_sync)
            {
                return _protected.Count;
            }
        }
    }

    /// <summary>The window's current bound in entries (for tests and figures).</summary>
    internal int WindowMaximum
    {
        get
        {
            lock (_sync)
            {
                return _windowMax;
            }
        }
    }

    /// <summary>
    /// Lets the climber resize the window once a sample is complete (see <see cref="WindowClimber"/>). While the cache
    /// is less than half full nothing is evicted and the hit rate says nothing of the window: the sample is dropped.
    /// Moves entries between the regions only; no entry is added or evicted, so no bound can be passed.
    /// </summary>
    private void AdaptWindow()
    {
        if (_size * 2 < _maxSize)
        {
            _climber.ResetSample();
            return;
        }

        var adjustment = _climber.Adjust(_windowMax);
        if (adjustment != 0)
        {
            // A new decision replaces what is left of the last one.
            _pendingAdjustment = adjustment;
        }

        if (_pendingAdjustment > 0)
        {
            var step = Math.Min(_pendingAdjustment, TransferLimit);
            var moved = IncreaseWindow(step);
            _pendingAdjustment = moved < step ? 0 : _pendingAdjustment - moved;
        }
        else if (_pendingAdjustment < 0)
        {
            var step = Math.Min(-_pendingAdjustment, TransferLimit);
            var moved = DecreaseWindow(step);
            _pendingAdjustment = moved < step ? 0 : _pendingAdjustment + moved;
        }
    }

    // At most this many entries change region per insert (Caffeine's bound), so one insert's work stays bounded; the
    // rest of an adjustment is carried to the next inserts (as Caffeine carries it to its next maintenance).
    private const int TransferLimit = 1000;

    // Entries still to move into (positive) or out of (negative) the window.
    private int _pendingAdjustment;

    /// <summary>
    /// Grows the window by up to <paramref name="quota"/> entries taken from the protected segment (as in Caffeine: at
    /// most to about 80% of the cache, probation keeps its size), moving the main region's least recent (probation's
    /// first) into it; the entries moved. Letting the window take probation too (up to an LRU of the whole cache) was
    /// tried: on OLTP at 250 and 500 entries the climber's noisy steps then wandered to a 94% window and lost 2–4 points.
    /// </summary>
    private int IncreaseWindow(int quota)
    {
        quota = Math.Min(quota, _protectedMax);
        if (quota <= 0)
        {
            return 0;
        }

        var wanted = quota;
        _windowMax += quota;
        _protectedMax = ProtectedMaximumFor(_windowMax);
        while (_protected.Count > _protectedMax)
        {
            var demoted = _protected.First!;
            _protected.Remove(demoted);
            _probation.AddLast(demoted);
        }

        for (var moved = 0; moved < TransferLimit && quota > 0; moved++)
        {
            var node = _probation.First;
            if (node is not null)
            {
                _probation.Remove(node);
            }
            else if ((node = _protected.First) is not null)
            {
                _protected.Remove(node);
            }
            else
            {
                break;
            }

            _window.AddLast(node);
            quota--;
        }

        // What was not moved stays in the main region.
        _windowMax -= quota;
        _protectedMax = ProtectedMaximumFor(_windowMax);
        return wanted - quota;
    }

    /// <summary>Shrinks the window by up to <paramref name="quota"/> entries, its least recent moving to probation; the entries moved.</summary>
    private int DecreaseWindow(int quota)
    {
        quota = Math.Min(quota, _windowMax - 1);
        if (quota <= 0)
        {
            return 0;
        }

        var wanted = quota;
        _windowMax -= quota;
        for (var moved = 0; moved < TransferLimit && quota > 0; moved++)
        {
            var node = _window.First;
            if (node is null)
            {
                break;
            }

            _window.Remove(node);
            _probation.AddLast(node);
            quota--;
        }

        _windowMax += quota;
        _protectedMax = ProtectedMaximumFor(_windowMax);
        return wanted - quota;
    }

    /// <summary>
    /// The protected segment's bound for a window of <paramref name="windowMaximum"/> entries: the main region less a
    /// probation segment of its first size (20% of the main region of a 1% window), as in Caffeine, where the window
    /// grows and shrinks at protected's expense; once the window is larger than the first protected segment allowed,
    /// probation gives way too and protected is empty.
    /// </summary>
    private int ProtectedMaximumFor(int windowMaximum)
    {
        var firstMain = _maxSize - Math.Max(1, _maxSize / 100);
        var probation = firstMain - (int)(firstMain * 8L / 10);
        return Math.Max(0, _maxSize - windowMaximum - probation);
    }

    /// <summary>
    /// Evicts until <paramref name="entries"/> more entries and <paramref name="bytes"/> more bytes fit, first within
    /// <paramref name="segment"/>'s quota (its own entries only), then within the cache's bounds. Never evicts
    /// <paramref name="keep"/>, the node being written.
    /// </summary>
    private void MakeRoom(TenantSegment segment, int entries, long bytes, MemoryNode keep)
    {
        while (segment.Counters.Size + entries > segment.MaxEntries)
        {
            if (!EvictFromTenant(segment, keep, EvictionReason.TenantQuota))
            {
                break;
            }
        }

        while (segment.Counters.MemoryBytes + bytes > segment.MaxBytes)
        {
            if (!EvictFromTenant(segment, keep, EvictionReason.TenantQuota))
            {
                break;
            }
        }

        var candidate = MoveWindowOverflowToProbation();
        while (true)
        {
            EvictionReason reason;
            if (_size + entries > _maxSize)
            {
                reason = EvictionReason.Size;
            }
            else if (Volatile.Read(ref _bytes) + bytes > _maxBytes)
            {
                reason = EvictionReason.Memory;
            }
            else
            {
                return;
            }

            var victim = _probation.First;
            if (victim == candidate)
            {
                // Probation holds only candidates: they compete with the protected segment's least recent entry.
                victim = _protected.First ?? _window.First;
            }

            if (candidate is null || victim is null || victim == keep)
            {
                // Nothing to compare: evict the least recent entry of probation, protected, then the window.
                var evictee = LeastRecent(_probation, keep) ?? LeastRecent(_protected, keep) ?? LeastRecent(_window, keep);
                if (evictee is null)
                {
                    return;
                }

                if (evictee == candidate)
                {
                    candidate = NextCandidate(candidate);
                }

                Evict(evictee, reason);
                continue;
            }

            // The duel (Admission.Admits): the candidate stays only if used more often than the victim.
            var next = NextCandidate(candidate);
            if (Admission.Admits(_sketch.Frequency(candidate.SketchHash), _sketch.Frequency(victim.SketchHash)))
            {
                Evict(victim, reason);
            }
            else
            {
                Evict(candidate, reason);
            }

            candidate = next;
        }
    }

    /// <summary>The least recently used entry of <paramref name="region"/> other than <paramref name="keep"/>.</summary>
    private static MemoryNode? LeastRecent(AccessOrderList region, MemoryNode keep) =>
        region.First == keep ? AccessOrderList.After(keep) : region.First;

    /// <summary>The candidate after <paramref name="candidate"/>: candidates are the probation segment's most recent end.</summary>
    private static MemoryNode? NextCandidate(MemoryNode candidate) =>
        candidate.Queue == NodeQueue.Probation ? AccessOrderList.After(candidate) : null;

    /// <summary>Moves the window's overflow to probation; the first node moved (the candidates run from it to the end), or null.</summary>
    private MemoryNode? MoveWindowOverflowToProbation()
    {
        MemoryNode? first = null;
        while (_window.Count > _windowMax)
        {
            var node = _window.First!;
            _window.Remove(node);
            _probation.AddLast(node);
            first ??= node;
        }

        return first;
    }

    /// <summary>Evicts one of the tenant's least recent entries (the least used of the first four); false when none is left but <paramref name="keep"/>.</summary>
    private bool EvictFromTenant(TenantSegment segment, MemoryNode keep, EvictionReason reason)
    {
        MemoryNode? victim = null;
        var victimFrequency = int.MaxValue;
        var looked = 0;
        for (var node = segment.Order.First; node is not null && looked < 4; node = IntrusiveList<TenantLinks>.After(node))
        {
            if (node == keep)
            {
                continue;
            }

            looked++;
            var frequency = _sketch.Frequency(node.SketchHash);
            if (frequency < victimFrequency)
            {
                victim = node;
                victimFrequency = frequency;
            }
        }

        if (victim is null)
        {
            return false;
        }

        Evict(victim, reason);
        return true;
    }

    private void Evict(MemoryNode node, EvictionReason reason)
    {
        node.Segment.Entries.TryRemove(node);
        long bytes;
        lock (node)
        {
            node.Removed = true;
            bytes = node.Bytes;
        }

        Unlink(node);
        Uncount(node, bytes);
        node.Segment.Counters.RecordEviction(reason);
    }

    /// <summary>
    /// Removes an entry that a caller asked to remove, counting it only if it had not expired (an expired entry
    /// is gone already as far as any reader can tell).
    /// </summary>
    private bool RemoveLive(MemoryNode node)
    {
        lock (_sync)
        {
            while (true)
            {
                if (IsLive(node))
                {
                    return Remove(node, RemovalReason.Deleted);
                }

                if (Remove(node, RemovalReason.Expired) || Volatile.Read(ref node.Removed))
                {
                    return false;
                }

                // Rewritten since it was seen expired: it is live again, so look once more.
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RemoveExpiredOnRead(MemoryNode node)
    {
        lock (_sync)
        {
            Remove(node, RemovalReason.Expired);
        }
    }

    /// <summary>
    /// Takes <paramref name="node"/> out of its segment if it is still there, and settles its accounting; under the
    /// maintenance lock. False when it was removed already, or (for <see cref="RemovalReason.Expired"/>) rewritten
    /// with a new TTL meanwhile.
    /// </summary>
    private bool Remove(MemoryNode node, RemovalReason reason)
    {
        var entries = node.Segment.Entries;
        long bytes;
        if (reason == RemovalReason.Expired)
        {
            // A writer may have brought the node back to life (an in-place Set) since the caller saw it expired:
            // look again under the node's lock, which writers take, and take it out while holding that lock.
            lock (node)
            {
                var expiresAt = node.ExpiresAt;
                if (node.Removed
                    || expiresAt == MemoryNode.NeverExpires
                    || _time.GetTimestamp() < expiresAt
                    || !entries.TryRemove(node))
                {
                    return false;
                }

                node.Removed = true;
                bytes = node.Bytes;
            }
        }
        else
        {
            if (!entries.TryRemove(node))
            {
                return false;
            }

            lock (node)
            {
                node.Removed = true;
                bytes = node.Bytes;
            }
        }

        Unlink(node);
        Uncount(node, bytes);
        if (reason == RemovalReason.Expired)
        {
            node.Segment.Counters.RecordExpiration();
        }

        return true;
    }

    private void Unlink(MemoryNode node)
    {
        switch (node.Queue)
        {
            case NodeQueue.Window:
                _window.Remove(node);
                break;
            case NodeQueue.Probation:
                _probation.Remove(node);
                break;
            case NodeQueue.Protected:
                _protected.Remove(node);
                break;
        }

        if (node.Segment.KeepsOrder)
        {
            node.Segment.Order.Remove(node);
        }

        TimerWheel.Deschedule(node);
    }

    private void Uncount(MemoryNode node, long bytes)
    {
        Volatile.Write(ref _size, _size - 1);
        Interlocked.Add(ref _bytes, -bytes);
        node.Segment.Counters.RemoveEntry(bytes);
    }
}
