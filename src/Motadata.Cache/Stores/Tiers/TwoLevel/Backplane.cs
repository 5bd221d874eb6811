using Motadata.Cache.Configuration;
using Motadata.Cache.Stores.Backends.Dragonfly;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>
/// The <see cref="IBackplane"/> over Redis pub/sub: one channel per key prefix (<c>{KeyPrefix}backplane</c>), on a
/// multiplexer of its own. On a Redis Cluster (any server answers as <see cref="ServerType.Cluster"/>) the channel is
/// sharded (<c>SSUBSCRIBE</c> / <c>SPUBLISH</c>), which Dragonfly's cluster mode requires. Messages of one
/// subscription are handled one at a time, in order (a <see cref="ChannelMessageQueue"/>).
/// </summary>
/// <remarks>
/// Why not the store's multiplexer (StackExchange.Redis allows pub/sub on it): the subscription connection is a
/// socket of its own either way, so sharing saves one interactive connection per server and instance, and costs
/// (1) every <c>PUBLISH</c> queued behind the store's bulk work on its one interactive connection (a warm's pipeline,
/// a usage walk), which would stretch the invalidation delay the local level's guarantee is stated in; (2) connection
/// events of the store's own connection mixed into the backplane's (each one would empty every local level); (3) a
/// store connection built without subscribe commands for the caches that have no local level would have to differ
/// from the one that has. See docs/two-level.md.
/// </remarks>
internal sealed class Backplane : IBackplane
{
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly ISubscriber _subscriber;
    private readonly string _channelName;
    private readonly TimeProvider _time;
    private IBackplaneListener? _listener;
    private RedisChannel _channel;
    private volatile bool _channelKnown;
    private ChannelMessageQueue? _queue;
    private long _lastRefresh;
    private long _routeRefreshes;
    private int _disposed;

    public Backplane(CacheConfig config)
    {
        _channelName = config.KeyPrefix + "backplane";
        _time = config.TimeProvider ?? TimeProvider.System;
        var endpoint = DragonflyEndpoint.Parse(config.DragonflyUrl!);
        var options = endpoint.ToConfigurationOptions(config.ConnectTimeout, config.OperationTimeout, config.DedicatedIOThreads);
        options.CommandMap = CommandMap.Default;
        options.ClientName = "Motadata.Cache.Backplane";
        try
        {
            _multiplexer = ConnectionMultiplexer.Connect(options);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw new CacheBackendException($"The backplane could not connect to Dragonfly at {endpoint.Describe()}: {exception.Message}", exception);
        }

        _subscriber = _multiplexer.GetSubscriber();
        DetectChannel();
    }

    public bool IsConnected => _multiplexer.IsConnected;

    /// <summary>The client the backplane publishes and subscribes with; for tests.</summary>
    internal ConnectionMultiplexer Multiplexer => _multiplexer;

    /// <summary>Whether the channel is sharded (the server is a cluster); for tests.</summary>
    internal bool IsSharded => _channelKnown && _channel.IsSharded;

    public void Attach(IBackplaneListener listener)
    {
        _listener = listener;
        _multiplexer.ConnectionFailed += OnConnectionChanged;
        _multiplexer.ConnectionRestored += OnConnectionChanged;
    }

    public async Task<bool> SubscribeAsync()
    {
        DetectChannel();
        if (!_channelKnown)
        {
            return false;
        }

        if (_queue is null)
        {
            var queue = await _subscriber.SubscribeAsync(_channel).ConfigureAwait(false);
            queue.OnMessage(message => _listener!.OnMessage(message.Message));
            _queue = queue;
        }

        return true;
    }

    public async Task UnsubscribeAsync()
    {
        var stale = _queue;
        _queue = null;
        if (stale is not null)
        {
            await stale.UnsubscribeAsync().ConfigureAwait(false);
        }
    }

    public Task? Publish(string message)
    {
        if (!_channelKnown)
        {
            return null;
        }

        try
        {
            return _subscriber.PublishAsync(_channel, message);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return null;
        }
    }

    /// <summary>
    /// On a cluster, asks the client to re-read the cluster's nodes and slots, at most once per
    /// <see cref="BackplaneSession.ProbePatience"/> and one at a time. The client learns a failover by itself too (a
    /// redirect, its reconnects; measured: within 3 s of the promotion), but while the backplane cannot prove its
    /// subscription it publishes nothing a redirect would answer, and the client's periodic check comes once a minute:
    /// this is the backplane's own safety net against a view read between the kill and the promotion.
    /// </summary>
    public void RefreshRoutes()
    {
        if (!IsSharded || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var now = _time.GetTimestamp();
        var last = Volatile.Read(ref _lastRefresh);
        if ((last != 0 && _time.GetElapsedTime(last, now) < BackplaneSession.ProbePatience) || Interlocked.CompareExchange(ref _lastRefresh, now, last) != last)
        {
            return;
        }

        Interlocked.Increment(ref _routeRefreshes);
        _ = RefreshAsync();

        async Task RefreshAsync()
        {
            try
            {
                await _multiplexer.ConfigureAsync().WaitAsync(BackplaneSession.ProbePatience * 5, _time).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A failed re-read is retried on the next failure to prove; nothing waits on this one.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    /// <summary>How often the routes were re-read (see <see cref="RefreshRoutes"/>); for tests.</summary>
    internal long RouteRefreshes => Interlocked.Read(ref _routeRefreshes);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Detach();
        _multiplexer.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Detach();
        await _multiplexer.DisposeAsync().ConfigureAwait(false);
    }

    private void Detach()
    {
        _multiplexer.ConnectionFailed -= OnConnectionChanged;
        _multiplexer.ConnectionRestored -= OnConnectionChanged;
    }

    private void OnConnectionChanged(object? sender, ConnectionFailedEventArgs args) =>
        _listener?.OnConnectionChanged(args.EndPoint?.ToString() ?? "?", args.FailureType.ToString());

    /// <summary>Picks the channel once connected: sharded on a cluster, plain otherwise.</summary>
    private void DetectChannel()
    {
        if (_channelKnown || !_multiplexer.IsConnected)
        {
            return;
        }

        var cluster = false;
        foreach (var server in _multiplexer.GetServers())
        {
            cluster |= server.IsConnected && server.ServerType == ServerType.Cluster;
        }

        _channel = cluster ? RedisChannel.Sharded(_channelName) : RedisChannel.Literal(_channelName);
        _channelKnown = true;
    }
}
