namespace Motadata.Cache.Internal;

/// <summary>
/// What a <c>Delete</c>, <c>Invalidate</c> or <c>Clear</c> does to a running factory of any value type: see
/// <see cref="Flight{T}.Detach"/>.
/// </summary>
internal interface IDetachableFlight
{
    void Detach();
}

/// <summary>
/// One running <c>GetOrSetAsync</c> factory and the callers waiting on it. The factory's token is cancelled only
/// when the last waiter leaves before it finishes (or the cache is disposed); once closed, a flight takes no new
/// waiters and callers start a new one.
/// </summary>
internal sealed class Flight<T> : IDisposable, IDetachableFlight
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _cancellation;
    private readonly Lock _gate = new();
    private int _waiters;
    private bool _closed;
    private int _started;
    private bool _finished;
    private volatile bool _stale;

    public Flight(CancellationToken disposing)
    {
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(disposing);
        Token = _cancellation.Token;
    }

    /// <summary>
    /// True once an invalidation of this key began while the flight ran: its value may predate the invalidation,
    /// so it must not be cached, nor handed to a caller that arrives after it.
    /// </summary>
    public bool IsStale => _stale;

    /// <summary>The token handed to the factory.</summary>
    public CancellationToken Token { get; }

    public Task<T> Task => _completion.Task;

    /// <summary>How many callers wait on this flight now.</summary>
    public int Waiters
    {
        get
        {
            lock (_gate)
            {
                return _waiters;
            }
        }
    }

    /// <summary>Adds a waiter; false once the flight is finished or abandoned.</summary>
    public bool TryJoin()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            _waiters++;
            return true;
        }
    }

    /// <summary>True for exactly one caller: the one that runs the factory.</summary>
    public bool TryStart() => Interlocked.Exchange(ref _started, 1) == 0;

    /// <summary>A waiter gave up; true when it was the last and the factory was cancelled.</summary>
    public bool Leave()
    {
        lock (_gate)
        {
            _waiters--;

            // A detached flight is closed but still running: its last waiter leaving cancels it all the same.
            if (_waiters > 0 || _finished)
            {
                return false;
            }

            _closed = true;
        }

        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The factory finished and was cleaned up in the meantime: nothing left to cancel.
        }

        return true;
    }

    /// <summary>
    /// The key was deleted, invalidated or cleared: the flight takes no new waiters (they start a fresh factory) and
    /// is marked stale. Callers already waiting still get its value, since their calls overlapped the invalidation.
    /// </summary>
    public void Detach()
    {
        lock (_gate)
        {
            _stale = true;
            _closed = true;
        }
    }

    public void Complete(T value)
    {
        Close();
        _completion.TrySetResult(value);
    }

    public void Fail(Exception exception)
    {
        Close();
        if (exception is OperationCanceledException && Token.IsCancellationRequested)
        {
            _completion.TrySetCanceled(Token);
        }
        else
        {
            _completion.TrySetException(exception);
        }
    }

    public void Dispose() => _cancellation.Dispose();

    private void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _finished = true;
        }
    }
}
