using System.Threading.Channels;

namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>
/// One member of an <see cref="InMemoryBackplaneBus"/>: the <see cref="IBackplane"/> of a cache in a test that runs
/// several caches in one process. Delivery is asynchronous and in order, one message at a time, like Redis pub/sub.
/// </summary>
internal sealed class InMemoryBackplane : IBackplane
{
    private readonly InMemoryBackplaneBus _bus;
    private readonly Lock _gate = new();
    private IBackplaneListener? _listener;
    private Channel<string>? _inbox;
    private volatile bool _connected = true;
    private volatile bool _deaf;
    private long _delivered;
    private long _routeRefreshes;

    internal InMemoryBackplane(InMemoryBackplaneBus bus) => _bus = bus;

    public bool IsConnected => _connected;

    /// <summary>
    /// While true, nothing reaches this member and it is not told: a subscription dead without the client knowing.
    /// </summary>
    public bool Deaf
    {
        get => _deaf;
        set => _deaf = value;
    }

    /// <summary>Messages delivered to this member's listener so far.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    public void Attach(IBackplaneListener listener) => _listener = listener;

    public Task<bool> SubscribeAsync()
    {
        if (!_connected)
        {
            return Task.FromResult(false);
        }

        lock (_gate)
        {
            if (_inbox is null)
            {
                // A subscription made while cut starts delivering once the connection is restored.
                var inbox = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
                _inbox = inbox;
                _ = Task.Run(() => PumpAsync(inbox));
                if (_connected)
                {
                    _bus.Join(this);
                }
            }
        }

        return Task.FromResult(true);
    }

    public Task UnsubscribeAsync()
    {
        lock (_gate)
        {
            if (_inbox is { } inbox)
            {
                _bus.Leave(this);
                inbox.Writer.TryComplete();
                _inbox = null;
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Nothing to re-read in process: the bus never moves. Counted, for tests.</summary>
    public void RefreshRoutes() => Interlocked.Increment(ref _routeRefreshes);

    /// <summary>How often the session asked to re-read routes; for tests.</summary>
    public long RouteRefreshes => Interlocked.Read(ref _routeRefreshes);

    public Task? Publish(string message)
    {
        if (!_connected)
        {
            return null;
        }

        _bus.Publish(message);
        return Task.CompletedTask;
    }

    /// <summary>Breaks the connection: nothing is delivered, publishing fails, and the listener is told.</summary>
    public void Cut()
    {
        _connected = false;
        _bus.Leave(this);
        _listener?.OnConnectionChanged("in-memory", "ConnectionFailed");
    }

    /// <summary>
    /// Restores the connection, and the subscription with it (as StackExchange.Redis resubscribes on reconnecting);
    /// the listener is told. Messages published while cut are lost.
    /// </summary>
    public void Restore()
    {
        lock (_gate)
        {
            _connected = true;
            if (_inbox is not null)
            {
                _bus.Join(this);
            }
        }

        _listener?.OnConnectionChanged("in-memory", "ConnectionRestored");
    }

    public void Dispose()
    {
        _connected = false;
        UnsubscribeAsync().GetAwaiter().GetResult();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    internal void Deliver(string message)
    {
        if (!_deaf)
        {
            _inbox?.Writer.TryWrite(message);
        }
    }

    private async Task PumpAsync(Channel<string> inbox)
    {
        await foreach (var message in inbox.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            _listener?.OnMessage(message);
            Interlocked.Increment(ref _delivered);
        }
    }
}
