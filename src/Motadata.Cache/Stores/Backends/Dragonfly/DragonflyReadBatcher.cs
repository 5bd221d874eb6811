using System.Runtime.ExceptionServices;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Backends.Dragonfly;

/// <summary>
/// Sends the asynchronous single-key reads that arrive while another read is on its way to the server as one
/// <c>MGET</c> (<see cref="CacheConfig.EnableReadBatching"/>; one server, not a cluster). A read that finds nothing in
/// flight is sent at once, as a plain <c>GET</c>, so a lone caller waits no longer than without batching; reads that
/// arrive while one is in flight wait for its answer, then go together. Under many concurrent callers the server
/// answers one command instead of dozens, and the callers of a batch are resumed one after another on the thread that
/// took its answer, instead of one thread-pool dispatch each.
/// </summary>
/// <remarks>
/// <para>Nothing is read earlier than asked: a batched read is sent after its caller asked for it, so it sees every
/// write and removal that completed before the call, as a plain <c>GET</c> would.</para>
/// <para>The next batch is sent once the answered one's callers are resumed (they ask again meanwhile, so it is a full
/// one). No caller can hold up another for long: a caller that keeps the resuming thread busy has the rest of its
/// batch resumed from a thread-pool work item after <see cref="ResumeBudget"/>, and one that blocks it (say, on
/// another read of the same batch) is noticed by a timer that ticks every <see cref="MaxWait"/> while callers are
/// being resumed, which hands the rest to another thread and lets the next batch go. The same timer sends any read
/// that has waited <see cref="MaxWait"/> behind the command in flight, so a caller that blocks on a read it started
/// from such a continuation (sync over async) cannot stall it either.</para>
/// <para>Failures stay with the reads of the command that failed. Since nothing waits behind a command for more than
/// <see cref="MaxWait"/>, a server that stops answering costs each read its own timeout, as without batching.</para>
/// <para>On a cluster a batch goes as one <c>GET</c> per read; each is counted answered before its caller is resumed,
/// so a caller's continuation that blocks or throws cannot hold the next batch back. A continuation that throws is
/// never swallowed: the exception is rethrown on a thread of its own, as .NET does for a continuation that throws.</para>
/// <para>Every wait runs on the configured <see cref="TimeProvider"/> (the timer, the time a read has waited, the
/// resume budget), so tests move a fake clock instead of racing real milliseconds.</para>
/// </remarks>
internal sealed class DragonflyReadBatcher : IDisposable
{
    /// <summary>How long one thread resumes the callers of a batch before handing the rest to the thread pool.</summary>
    internal static readonly TimeSpan ResumeBudget = TimeSpan.FromMilliseconds(1);

    /// <summary>The longest a read waits behind the command in flight before it is sent anyway.</summary>
    internal static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(2);

    private readonly IDatabase _database;
    private readonly TimeProvider _time;
    private readonly long _resumeBudgetTicks;
    private readonly int _maxKeys;
    private readonly Func<bool> _isCluster;
    private readonly Lock _gate = new();
    private readonly ITimer _valve;
    private readonly List<Batch> _resuming = [];
    private Batch? _waiting;
    private long _waitingSince;
    private bool _valveArmed;
    private int _inFlight;
    private long _batches;
    private long _batchedReads;

    /// <param name="database">The database, without key prefix: reads come with full server keys.</param>
    /// <param name="maxKeys">The most keys one <c>MGET</c> carries; a full batch is sent without waiting.</param>
    /// <param name="isCluster">
    /// Whether the servers answer as a cluster (where one <c>MGET</c> must stay within one slot): then every read of a
    /// batch is sent as its own <c>GET</c>. Asked once per batch of several keys, for a client that connected late.
    /// </param>
    /// <param name="time">The clock of the timer and of every wait.</param>
    public DragonflyReadBatcher(IDatabase database, int maxKeys, Func<bool> isCluster, TimeProvider time)
    {
        _database = database;
        _time = time;
        _resumeBudgetTicks = (long)(ResumeBudget.TotalSeconds * time.TimestampFrequency);
        _maxKeys = maxKeys;
        _isCluster = isCluster;
        // The timer must not hold on to whatever execution context (activity, async locals) the cache was built in.
        var restoreFlow = !ExecutionContext.IsFlowSuppressed();
        if (restoreFlow)
        {
            ExecutionContext.SuppressFlow();
        }

        try
        {
            _valve = time.CreateTimer(static state => ((DragonflyReadBatcher)state!).OnValve(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        finally
        {
            if (restoreFlow)
            {
                ExecutionContext.RestoreFlow();
            }
        }
    }

    /// <summary>Commands sent so far (a <c>GET</c> or an <c>MGET</c> each), for tests and diagnostics.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Reads sent so far, over all commands.</summary>
    public long BatchedReads => Interlocked.Read(ref _batchedReads);

    /// <summary>
    /// What becomes of an exception a caller's continuation threw while being resumed: by default rethrown on a
    /// thread-pool thread (as an exception escaping an <c>async void</c> method is). Tests record it instead.
    /// </summary>
    internal Action<Exception> ContinuationFailed { get; set; } = static failure =>
        ThreadPool.UnsafeQueueUserWorkItem(static failure => ExceptionDispatchInfo.Throw(failure), failure, preferLocal: false);

    /// <summary>
    /// Reads <paramref name="serverKey"/> (a full server key) with the next command that goes to the server, and
    /// hands the answer to <paramref name="read"/> (on the thread that took the reply).
    /// </summary>
    public void Enqueue(RedisKey serverKey, BatchedRead read)
    {
        Batch? send = null;
        var arm = false;
        lock (_gate)
        {
            if (_waiting is null)
            {
                _waiting = new Batch(this);
                _waitingSince = _time.GetTimestamp();
            }

            var batch = _waiting;
            batch.Add(serverKey, read);
            if (_inFlight == 0 || batch.Count >= _maxKeys)
            {
                _waiting = null;
                _inFlight++;
                send = batch;
            }
            else if (!_valveArmed)
            {
                _valveArmed = true;
                arm = true;
            }
        }

        if (arm)
        {
            _valve.Change(MaxWait, Timeout.InfiniteTimeSpan);
        }

        send?.Send();
    }

    public void Dispose() => _valve.Dispose();

    /// <summary>
    /// The timer, every <see cref="MaxWait"/> while reads wait or callers are being resumed: sends a batch that has
    /// waited <see cref="MaxWait"/>, whatever is in flight, and hands the rest of a batch whose resuming made no
    /// progress since the last tick (a caller blocked the resuming thread) to another thread.
    /// </summary>
    private void OnValve()
    {
        Batch? send = null;
        List<Batch>? stalled = null;
        var rearm = TimeSpan.Zero;
        lock (_gate)
        {
            if (_waiting is not null && _time.GetElapsedTime(_waitingSince) >= MaxWait)
            {
                send = _waiting;
                _waiting = null;
                _inFlight++;
            }
            else if (_waiting is not null)
            {
                // Whole milliseconds: a shorter due time would fire at once, again and again.
                rearm = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling((MaxWait - _time.GetElapsedTime(_waitingSince)).TotalMilliseconds)));
            }

            foreach (var batch in _resuming)
            {
                if (batch.MadeNoProgressSinceLastTick())
                {
                    (stalled ??= []).Add(batch);
                }
            }

            if (_resuming.Count > 0 && rearm == TimeSpan.Zero)
            {
                rearm = MaxWait;
            }

            _valveArmed = rearm > TimeSpan.Zero;
        }

        if (rearm > TimeSpan.Zero)
        {
            _valve.Change(rearm, Timeout.InfiniteTimeSpan);
        }

        if (stalled is not null)
        {
            foreach (var batch in stalled)
            {
                batch.HandOver();
            }
        }

        send?.Send();
    }

    /// <summary>A batch's callers are being resumed: the timer watches it until all are.</summary>
    private void Resuming(Batch batch)
    {
        var arm = false;
        lock (_gate)
        {
            _resuming.Add(batch);
            if (!_valveArmed)
            {
                _valveArmed = true;
                arm = true;
            }
        }

        if (arm)
        {
            _valve.Change(MaxWait, Timeout.InfiniteTimeSpan);
        }
    }

    private void Resumed(Batch batch)
    {
        lock (_gate)
        {
            _resuming.Remove(batch);
        }
    }

    /// <summary>A batch has its answer: the reads waiting behind it go.</summary>
    private void Answered()
    {
        Batch? next;
        lock (_gate)
        {
            _inFlight--;
            next = _inFlight == 0 ? _waiting : null;
            if (next is not null)
            {
                _waiting = null;
                _inFlight++;
            }
        }

        next?.Send();
    }

    /// <summary>The reads that go to the server in one command, and the resuming of their callers.</summary>
    private sealed class Batch : IThreadPoolWorkItem
    {
        private readonly DragonflyReadBatcher _owner;
        private RedisKey[] _keys = new RedisKey[4];
        private BatchedRead[] _reads = new BatchedRead[4];
        private Task<RedisValue>? _one;
        private Task<RedisValue[]>? _many;
        private RedisValue[]? _values;
        private Exception? _failure;
        private int _next;
        private int _nextAtLastTick = -1;
        private int _answered;
        private int _unanswered;

        public Batch(DragonflyReadBatcher owner) => _owner = owner;

        public int Count { get; private set; }

        public void Add(RedisKey key, BatchedRead read)
        {
            if (Count == _keys.Length)
            {
                Array.Resize(ref _keys, Count * 2);
                Array.Resize(ref _reads, Count * 2);
            }

            _keys[Count] = key;
            _reads[Count] = read;
            Count++;
        }

        public void Send()
        {
            Interlocked.Increment(ref _owner._batches);
            Interlocked.Add(ref _owner._batchedReads, Count);
            try
            {
                if (Count == 1)
                {
                    // Alone: a plain GET, as without batching (a WRONGTYPE answer then stays this read's own).
                    _one = _owner._database.StringGetAsync(_keys[0]);
                    _one.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnAnswer);
                }
                else if (_owner._isCluster())
                {
                    SendOneByOne();
                }
                else
                {
                    if (_keys.Length != Count)
                    {
                        Array.Resize(ref _keys, Count);
                    }

                    _many = _owner._database.StringGetAsync(_keys);
                    _many.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnAnswer);
                }
            }
            catch (Exception exception)
            {
                // The client refused the command before sending it (disposed, no connection with fail-fast backlog).
                // Each read makes of it what an unbatched read would (a server failure, or thrown to its caller), on a
                // thread-pool thread: not inline here, where the caller who sent it is still inside its call.
                _failure = exception;
                _owner.Resuming(this);
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }

        /// <summary>Resumes callers not yet resumed (a thread-pool work item after a hand-over).</summary>
        void IThreadPoolWorkItem.Execute() => Resume();

        /// <summary>For the timer: true when no caller was resumed since the last tick although some are left.</summary>
        public bool MadeNoProgressSinceLastTick()
        {
            var next = Volatile.Read(ref _next);
            var stalled = next == _nextAtLastTick && next < Count;
            _nextAtLastTick = next;
            return stalled;
        }

        /// <summary>Lets another thread resume the rest, and the next batch go.</summary>
        public void HandOver()
        {
            AnswerOnce();
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        // Resumes the callers first, then lets the next batch go: they ask again while being resumed, so the next
        // batch carries them (the timer sends it anyway should one of them block).
        private void OnAnswer()
        {
            try
            {
                _values = _one is not null ? [_one.GetAwaiter().GetResult()] : _many!.GetAwaiter().GetResult();
            }
            catch (Exception exception)
            {
                _failure = exception;
            }

            _owner.Resuming(this);
            Resume();
        }

        // Callers are claimed one at a time, so a second thread (after a hand-over) can share the work.
        private void Resume()
        {
            var start = _owner._time.GetTimestamp();
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < Count)
            {
                var read = Interlocked.Exchange(ref _reads[i], null!);
                try
                {
                    read.Complete(_failure is null ? _values![i] : RedisValue.Null, _failure);
                }
                catch (Exception exception)
                {
                    // A caller's continuation threw (not an async method's: those never do). Not ours to swallow, nor
                    // a reason to leave the rest of the batch waiting: it is rethrown on a thread of its own.
                    _owner.ContinuationFailed(exception);
                }

                if (Volatile.Read(ref _next) < Count && _owner._time.GetTimestamp() - start > _owner._resumeBudgetTicks)
                {
                    HandOver();
                    return;
                }
            }

            AnswerOnce();
            _owner.Resumed(this);
        }

        private void AnswerOnce()
        {
            if (Interlocked.Exchange(ref _answered, 1) == 0)
            {
                _owner.Answered();
            }
        }

        /// <summary>
        /// One read of a batch sent one by one has its answer: it is counted first (the last one lets the next batch
        /// go), and only then is its caller resumed, so a continuation that blocks or throws holds nothing back; one
        /// that throws is handed to <see cref="ContinuationFailed"/>, not lost.
        /// </summary>
        private void CompleteOne(int index, Task<RedisValue> answer)
        {
            var read = Interlocked.Exchange(ref _reads[index], null!);
            if (Interlocked.Decrement(ref _unanswered) == 0)
            {
                AnswerOnce();
            }

            try
            {
                if (answer.IsCompletedSuccessfully)
                {
                    read.Complete(answer.Result, null);
                }
                else
                {
                    read.Complete(RedisValue.Null, answer.Exception?.InnerException ?? new TaskCanceledException(answer));
                }
            }
            catch (Exception exception)
            {
                _owner.ContinuationFailed(exception);
            }
        }

        // On a cluster each key may live on another node: one GET each, answered as they come.
        private void SendOneByOne()
        {
            _unanswered = Count;
            for (var i = 0; i < Count; i++)
            {
                Task<RedisValue> pending;
                try
                {
                    pending = _owner._database.StringGetAsync(_keys[i]);
                }
                catch (Exception exception)
                {
                    pending = Task.FromException<RedisValue>(exception);
                }

                pending.ContinueWith(
                    static (task, state) =>
                    {
                        var (batch, index) = ((Batch, int))state!;
                        batch.CompleteOne(index, task);
                    },
                    (this, i),
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
    }
}
