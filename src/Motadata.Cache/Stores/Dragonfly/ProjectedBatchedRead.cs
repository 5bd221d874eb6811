using System.Threading.Tasks.Sources;
using Motadata.Cache.Keys;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Dragonfly;

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
    private int _completed;

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

        return new ValueTask<TResult>(this, _core.Version);
    }

    public override void Complete(RedisValue value, Exception? failure)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        _cancellation.Dispose();
        TResult result;
        try
        {
            var outcome = _store.BatchedOutcome<T>(_key, value, failure, out var unreadable);
            if (unreadable is not null)
            {
                _ = RemoveThenCompleteAsync(unreadable);
                return;
            }

            result = _projection.Project(outcome);
        }
        catch (Exception exception)
        {
            _core.SetException(exception);
            return;
        }

        // Outside the try: this resumes the caller, whose continuation is not ours to catch.
        _core.SetResult(result);
    }

    public TResult GetResult(short token) => _core.GetResult(token);

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
    }

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _core.SetException(new OperationCanceledException(token));
        }
    }
}
