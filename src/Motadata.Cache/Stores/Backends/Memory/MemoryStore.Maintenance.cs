using System.Diagnostics.CodeAnalysis;

namespace Motadata.Cache.Stores.Backends.Memory;

/// <summary>
/// The store's background work: replaying the read buffer on a pool thread, and reclaiming expired entries with a
/// timer wheel. Both run under the maintenance lock.
/// </summary>
internal sealed partial class MemoryStore : IThreadPoolWorkItem, IExpiryTarget
{
    // The read buffer's ring per stripe: see ReadBuffer's constructor.
    private const int PoolReplaySlots = 512;
    private const int ReaderReplaySlots = 256;

    /// <summary>
    /// An <see cref="AppContext"/> switch: when set before a store is made, the store replays reads on the reader
    /// (<see cref="ReplayOnReader"/>, the default), even where <see cref="ReplayOnPoolSwitch"/> is set.
    /// </summary>
    internal const string ReplayOnReaderSwitch = "Motadata.Cache.Memory.ReplayOnReader";

    /// <summary>
    /// An <see cref="AppContext"/> switch: when set (and <see cref="ReplayOnReaderSwitch"/> is not) before a store is
    /// made, the store queues its replays on a pool thread. Off by default: measured on a two-core machine (issue 24,
    /// docs/benchmarks.md), one reader over 10,000 keys with the other core idle read in 57-59 ns against the reader's
    /// replay's 95 in some runs, but in 82-199 ns in others, dropping up to a fifth of the read records the policy
    /// learns from; and two or four readers, with no core left idle, were slower than with the reader's replay.
    /// </summary>
    internal const string ReplayOnPoolSwitch = "Motadata.Cache.Memory.ReplayOnPool";

    // 0: no replay scheduled; 1: a replay is queued or running (at most one at a time).
    private int _drainState;

    // 1 when a replay was asked for since the running one started (see Execute).
    private int _drainAgain;

    // Read records replayed (changed under the lock) and dropped because a full ring met a held lock (interlocked).
    private long _readsReplayed;
    private long _readsDropped;

    // The dropped records already counted as hits for the climber (maintenance lock).
    private long _droppedCounted;

    private TimerWheel? _wheel;

    /// <summary>
    /// Replay the read buffer on the reader's thread (when its ring is full, if the lock is free, as Caffeine's and
    /// BitFaster's foreground schedulers do) instead of a pool thread: deterministic replays, for trace runs and policy
    /// tests that compare hit ratios from run to run.
    /// </summary>
    internal bool ReplayOnReader
    {
        get;

        [MemberNotNull(nameof(_reads), nameof(_drained), nameof(_drainedRepeats))]
        init
        {
            field = value;
            _reads = new ReadBuffer(value ? ReaderReplaySlots : PoolReplaySlots);
            _drained = new MemoryNode[_reads.Capacity];
            _drainedRepeats = new byte[_reads.Capacity];
        }
    }

    /// <summary>Read records replayed into the policy so far (for figures and tests).</summary>
    internal long ReadsReplayed
    {
        get
        {
            lock (_sync)
            {
                return _readsReplayed;
            }
        }
    }

    /// <summary>Read records lost because the reader's ring was full and the maintenance lock was held (for figures and tests).</summary>
    internal long ReadsDropped => Interlocked.Read(ref _readsDropped);

    /// <summary>The maintenance lock, for tests that hold it from another thread (a replay or a write in progress).</summary>
    internal Lock MaintenanceLock => _sync;

    /// <summary>Entries the timer wheel looked at so far: the expiry work (for figures and tests).</summary>
    internal long ExpiryNodesVisited
    {
        get
        {
            lock (_sync)
            {
                return _wheel?.NodesVisited ?? 0;
            }
        }
    }

    /// <summary>The timer wheel's granularity, in the store's timestamp units (for tests).</summary>
    internal long ExpiryGranularity
    {
        get
        {
            lock (_sync)
            {
                return Wheel.Granularity;
            }
        }
    }

    /// <summary>The timer wheel, made on first use (a store whose entries never expire needs none); maintenance lock.</summary>
    private TimerWheel Wheel => _wheel ??= new TimerWheel(_time.TimestampFrequency, _time.GetTimestamp());

    /// <summary>Reclaims the entries that expired by now; runs on the expiration timer (and from tests).</summary>
    internal void RemoveExpired()
    {
        lock (_sync)
        {
            _wheel?.Advance(_time.GetTimestamp(), this);
        }
    }

    /// <summary>Replays every read recorded so far, now (for tests and figures).</summary>
    internal void DrainReadsNow()
    {
        lock (_sync)
        {
            DrainReads(everyStripe: true);
        }
    }

    bool IExpiryTarget.TryExpire(MemoryNode node) => Remove(node, RemovalReason.Expired);

    /// <summary>The pool thread's replay of the read buffer.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        // Again while a reader asked for a replay meanwhile (a half ring filled while this one ran, and its request
        // found one running): without this, its records would wait for the next request, which may never come.
        do
        {
            Volatile.Write(ref _drainAgain, 0);
            lock (_sync)
            {
                DrainReads(everyStripe: false);
            }
        }
        while (Volatile.Read(ref _drainAgain) != 0);

        Volatile.Write(ref _drainState, 0);

        // A request between the last check and the reset above found a replay running and was not queued.
        if (Volatile.Read(ref _drainAgain) != 0)
        {
            ScheduleDrain();
        }
    }

    /// <summary>Queues a replay on a pool thread unless one is queued or running already; allocates nothing.</summary>
    private void ScheduleDrain()
    {
        if (ReplayOnReader)
        {
            // Replayed by the reader when its ring is full (OnReadBufferFilling), or by the next insert.
            return;
        }

        Volatile.Write(ref _drainAgain, 1);
        if (Volatile.Read(ref _drainState) == 0 && Interlocked.CompareExchange(ref _drainState, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Moves <paramref name="node"/> to the wheel bucket of its (new) expiry; maintenance lock.</summary>
    private void Reschedule(MemoryNode node)
    {
        if (Volatile.Read(ref node.ExpiresAt) != MemoryNode.NeverExpires)
        {
            Wheel.Reschedule(node);
        }
        else
        {
            TimerWheel.Deschedule(node);
        }
    }
}
