using System.Threading.Tasks.Sources;
using Motadata.Cache.Keys;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Backends.Dragonfly;

/// <summary>
/// A batched read of <see cref="DragonflyStore.ReadAsync{T, TResult, TProjection}"/>: decodes the answer, applies the
/// caller's projection and resumes the caller, all in <see cref="Complete"/>, so the read is one object and one
/// continuation (the caller's), not a task, a state machine and a continuation each. Used once, not pooled.
/// </summary>
internal sealed class ProjectedBatchedRead<T, TResult, TProjection> : BatchedRead, IValueTaskSource<TResult>
    where TProjection : struct, IReadProjection<T, TResult>
{
    private readonly DragonflyStore _store;
    private readonly CacheKey _key;
    private readonly TProjection _projection;
    private ManualResetValueTaskSourceCore<TResult> _core;
    private CancellationTokenRegistration _cancellation;
    private ExecutionContext? _callerContext;
    private Exception? _failure;
    private string? _unreadable;
    private int _completed;
    private bool _blocked;

    public ProjectedBatchedRead(DragonflyStore store, CacheKey key, TProjection projection)
    {
        _store = store;
        _key = key;
        _projection = projection;
    }

    /// <summary>The caller's wait, cancelled by <paramref name="cancellationToken"/> (which then cancels only this read).</summary>
    public ValueTask<TResult> Start(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((ProjectedBatchedRead<T, TResult, TProjection>)state!).Cancel(token), this);
        }

        // The rare paths (a failure, an unreadable value) count, log and may open the circuit breaker: they run in
        // the caller's execution context, so their log lines carry its scope and trace, as an unbatched read's do.
        _callerContext = ExecutionContext.Capture();
        return new ValueTask<TResult>(this, _core.Version);
    }

    public override void Complete(RedisValue value, Exception? failure)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        _cancellation.Dispose();
        if (failure is not null && _callerContext is { } context)
        {
            _failure = failure;
            ExecutionContext.Run(context, static state => ((ProjectedBatchedRead<T, TResult, TProjection>)state!).Finish(RedisValue.Null, ((ProjectedBatchedRead<T, TResult, TProjection>)state!)._failure), this);
            return;
        }

        Finish(value, failure);
    }

    private void Finish(RedisValue value, Exception? failure)
    {
        TResult result;
        try
        {
            var outcome = _store.BatchedOutcome<T>(value, failure, out var unreadable);
            if (unreadable is not null)
            {
                if (_callerContext is { } context)
                {
                    _unreadable = unreadable;
                    ExecutionContext.Run(context, static state =>
                    {
                        var read = (ProjectedBatchedRead<T, TResult, TProjection>)state!;
                        _ = read.RemoveThenCompleteAsync(read._unreadable!);
                    }, this);
                }
                else
                {
                    _ = RemoveThenCompleteAsync(unreadable);
                }

                return;
            }

            result = _projection.Project(outcome);
        }
        catch (Exception exception)
        {
            _core.SetException(exception);
            WakeBlockedCaller();
            return;
        }

        // Outside the try: this resumes the caller, whose continuation is not ours to catch.
        _core.SetResult(result);
        WakeBlockedCaller();
    }

    public TResult GetResult(short token)
    {
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            // Somebody blocks on the ValueTask (.Result, .GetAwaiter().GetResult()) instead of awaiting it. The
            // ValueTask rules forbid that, but a task-backed ValueTask allowed it and callers do it: wait, as a task would.
            WaitForCompletion(token);
        }

        return _core.GetResult(token);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    // A value that cannot be read is removed before the read answers "miss", as on the unbatched path.
    private async Task RemoveThenCompleteAsync(string problem)
    {
        try
        {
            await _store.RemoveUnreadableAsync(_key, problem).ConfigureAwait(false);
            _core.SetResult(_projection.Project(ReadOutcome<T>.Miss));
        }
        catch (Exception exception)
        {
            _core.SetException(exception);
        }

        WakeBlockedCaller();
    }

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _core.SetException(new OperationCanceledException(token));
            WakeBlockedCaller();
        }
    }

    private void WaitForCompletion(short token)
    {
        lock (this)
        {
            Volatile.Write(ref _blocked, true);
            Interlocked.MemoryBarrier();
            while (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
            {
                Monitor.Wait(this);
            }
        }
    }

    // The completion was stored before this runs; the barrier orders that store before the read of _blocked, as the
    // waiter orders its write of _blocked before its read of the completion (so one of the two sees the other).
    private void WakeBlockedCaller()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _blocked))
        {
            lock (this)
            {
                Monitor.PulseAll(this);
            }
        }
    }
}
