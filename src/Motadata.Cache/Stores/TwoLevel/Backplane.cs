using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Motadata.Cache.Configuration;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Dragonfly;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.TwoLevel;

/// <summary>
/// Redis pub/sub between the instances sharing one server: one channel per key prefix, on a multiplexer of its own
/// (the store's multiplexer is built without the subscribe commands, so it opens no pub/sub connection). On a Redis
/// Cluster (any server answers as <see cref="ServerType.Cluster"/>) the channel is sharded (<c>SSUBSCRIBE</c> /
/// <c>SPUBLISH</c>), which Dragonfly's cluster mode requires. Each message carries the sender's id (a receiver ignores
/// its own) and the sender's sequence number (a receiver that sees a gap flushes its local level).
/// </summary>
/// <remarks>
/// The subscription is trusted only once this instance's own probe has come back through it: at start, and after
/// every connection failure or restore (until then the local level is not served). Messages are handled one at a
/// time, in order (a <see cref="ChannelMessageQueue"/>).
/// </remarks>
internal sealed partial class Backplane : IDisposable, IAsyncDisposable
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ProbePatience = TimeSpan.FromSeconds(2);

    // While trusted, the subscription is checked by a heartbeat (a probe of our own) every second; one not back within
    // five seconds means the subscription broke without the client noticing (a half-open socket, a frozen server).
    private static readonly long HeartbeatEvery = TimeSpan.FromSeconds(1).Ticks;
    private static readonly long HeartbeatPatience = TimeSpan.FromSeconds(5).Ticks;

    private readonly IBackplaneReceiver _receiver;
    private readonly CacheCounters _statistics;
    private readonly ILogger _logger;
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly ISubscriber _subscriber;
    private readonly string _channelName;
    private readonly Lock _publishGate = new();

    // Every change of trust (lost, proven, gap) happens under this lock, together with the local level's reaction, so
    // a connection event on one thread and a probe's echo on another can never leave the two disagreeing.
    private readonly Lock _trust = new();
    private readonly SemaphoreSlim _needsProof = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private readonly Dictionary<string, long> _lastSequence = new(StringComparer.Ordinal);
    private readonly Task _loop;
    private readonly ManualResetEventSlim _confirmedOnce = new();
    private RedisChannel _channel;
    private volatile bool _channelKnown;
    private ChannelMessageQueue? _queue;
    private long _sequence;
    private volatile bool _confirmed;
    private volatile string? _expectedProbe;
    private long _lastHeartbeatSent;
    private long _lastEcho;
    private long _heartbeats;
    private int _disposed;

    public Backplane(CacheConfig config, IBackplaneReceiver receiver, CacheCounters statistics)
    {
        _receiver = receiver;
        _statistics = statistics;
        _logger = (config.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Motadata.Cache.Backplane");
        InstanceId = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        _channelName = config.KeyPrefix + "backplane";
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
        _multiplexer.ConnectionFailed += OnConnectionChanged;
        _multiplexer.ConnectionRestored += OnConnectionChanged;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>This instance's id on the backplane.</summary>
    public string InstanceId { get; }

    /// <summary>True while the subscription is proven to deliver.</summary>
    public bool IsConfirmed => _confirmed;

    /// <summary>True once the subscription was first proven; for tests.</summary>
    internal bool WasEverConfirmed => _confirmedOnce.IsSet;

    /// <summary>Whether the channel is sharded (the server is a cluster); for tests.</summary>
    internal bool IsSharded => _channelKnown && _channel.IsSharded;

    /// <summary>
    /// Waits (at most <paramref name="patience"/>) until the subscription is first proven, when the server is reachable:
    /// so a new cache serves locally from its first calls. Returns at once when the server is not connected.
    /// </summary>
    public bool WaitUntilConfirmed(TimeSpan patience) => !_multiplexer.IsConnected ? _confirmed : _confirmedOnce.Wait(patience);

    /// <summary>Announces a change; false (counted as dropped) when the server did not take it.</summary>
    public bool Publish(BackplaneMessageKind kind, string? tenantId, string subject)
    {
        var pending = Send(kind, tenantId, subject);
        try
        {
            pending?.GetAwaiter().GetResult();
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            pending = null;
        }

        return Counted(pending is not null);
    }

    /// <inheritdoc cref="Publish"/>
    public async ValueTask<bool> PublishAsync(BackplaneMessageKind kind, string? tenantId, string subject)
    {
        var pending = Send(kind, tenantId, subject);
        if (pending is null)
        {
            return Counted(false);
        }

        try
        {
            await pending.ConfigureAwait(false);
            return Counted(true);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return Counted(false);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _disposing.Cancel();
        _multiplexer.ConnectionFailed -= OnConnectionChanged;
        _multiplexer.ConnectionRestored -= OnConnectionChanged;
        _multiplexer.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        _multiplexer.ConnectionFailed -= OnConnectionChanged;
        _multiplexer.ConnectionRestored -= OnConnectionChanged;
        await _loop.ConfigureAwait(false);
        await _multiplexer.DisposeAsync().ConfigureAwait(false);
    }

    private bool Counted(bool sent)
    {
        if (sent)
        {
            _statistics.RecordBackplaneSent();
        }
        else
        {
            _statistics.RecordBackplaneDropped();
        }

        return sent;
    }

    /// <summary>Numbers the message and hands it to the client under one lock, so messages leave in sequence order.</summary>
    private Task<long>? Send(BackplaneMessageKind kind, string? tenantId, string subject)
    {
        if (!_channelKnown)
        {
            return null;
        }

        try
        {
            lock (_publishGate)
            {
                var message = new BackplaneMessage(kind, InstanceId, ++_sequence, tenantId, subject);
                return _subscriber.PublishAsync(_channel, message.Encode());
            }
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return null;
        }
    }

    private void OnConnectionChanged(object? sender, ConnectionFailedEventArgs args)
    {
        // Failed or restored, messages may have been lost in between: distrust the subscription until a probe returns.
        Distrust();
        LogSubscriptionUnsafe(_logger, args.EndPoint?.ToString() ?? "?", args.FailureType.ToString());
        if (_needsProof.CurrentCount == 0)
        {
            _needsProof.Release();
        }
    }

    /// <summary>Subscribes, proves the subscription with a probe, then ticks; again after every connection change.</summary>
    private async Task RunAsync()
    {
        var token = _disposing.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (await _needsProof.WaitAsync(TickInterval, token).ConfigureAwait(false) || !_confirmed)
                {
                    await ProveAsync(token).ConfigureAwait(false);
                }

                CheckHeartbeat();
                _receiver.OnTick();
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must outlive any failure; the next turn tries again.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                LogLoopFailed(_logger, exception.Message);
            }
        }
    }

    /// <summary>Stops trusting the subscription: the local level is emptied and not served until a new probe comes back.</summary>
    private void Distrust()
    {
        lock (_trust)
        {
            _confirmed = false;
            _expectedProbe = null;
            _receiver.OnUnsafe(serveAgain: false);
        }
    }

    /// <summary>Sends the next heartbeat when one is due, and distrusts the subscription when the last echo is too old.</summary>
    private void CheckHeartbeat()
    {
        if (!_confirmed)
        {
            return;
        }

        var now = DateTime.UtcNow.Ticks;
        if (now - Volatile.Read(ref _lastEcho) > HeartbeatPatience && now - Volatile.Read(ref _lastHeartbeatSent) < HeartbeatPatience)
        {
            // Heartbeats went out and none came back: the subscription may be dead without the client knowing.
            Distrust();
            LogHeartbeatLost(_logger);
            if (_needsProof.CurrentCount == 0)
            {
                _needsProof.Release();
            }

            return;
        }

        if (now - Volatile.Read(ref _lastHeartbeatSent) >= HeartbeatEvery)
        {
            Volatile.Write(ref _lastHeartbeatSent, now);
            var sent = Send(BackplaneMessageKind.Probe, null, "hb" + Interlocked.Increment(ref _heartbeats).ToString(System.Globalization.CultureInfo.InvariantCulture));
            sent?.ContinueWith(static task => _ = task.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ProveAsync(CancellationToken token)
    {
        if (_confirmed || !_multiplexer.IsConnected)
        {
            return;
        }

        DetectChannel();
        if (_queue is null)
        {
            var queue = await _subscriber.SubscribeAsync(_channel).ConfigureAwait(false);
            queue.OnMessage(Handle);
            _queue = queue;
        }

        var probe = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        _expectedProbe = probe;
        var sent = Send(BackplaneMessageKind.Probe, null, probe);
        if (sent is null)
        {
            return;
        }

        await sent.WaitAsync(token).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + ProbePatience;
        while (!_confirmed && _expectedProbe == probe && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, token).ConfigureAwait(false);
        }

        if (!_confirmed)
        {
            // Not back: subscribe afresh and try again on the next turn.
            var stale = _queue;
            _queue = null;
            if (stale is not null)
            {
                await stale.UnsubscribeAsync().ConfigureAwait(false);
            }

            if (_needsProof.CurrentCount == 0)
            {
                _needsProof.Release();
            }
        }
    }

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

    /// <summary>One message, in order. The probe that confirms the subscription is handled here too, so it is ordered with the rest.</summary>
    private void Handle(ChannelMessage channelMessage)
    {
        if (!BackplaneMessage.TryDecode(channelMessage.Message, out var message))
        {
            // Say, from a newer version during a rolling upgrade: it may have invalidated anything, so every local
            // copy goes (counted in LocalFlushes too); serving locally goes on while the subscription is proven.
            _statistics.RecordBackplaneDropped();
            LogUnreadable(_logger);
            lock (_trust)
            {
                _receiver.OnUnsafe(serveAgain: _confirmed);
            }

            return;
        }

        if (message.Instance == InstanceId)
        {
            if (message.Kind == BackplaneMessageKind.Probe && message.Subject.StartsWith("hb", StringComparison.Ordinal))
            {
                Volatile.Write(ref _lastEcho, DateTime.UtcNow.Ticks);
            }
            else if (message.Kind == BackplaneMessageKind.Probe)
            {
                lock (_trust)
                {
                    if (message.Subject == _expectedProbe && !_confirmed)
                    {
                        // Everything sent before this probe, we may have missed; from here on, gaps are detected.
                        _lastSequence.Clear();
                        _receiver.OnSubscriptionConfirmed();
                        Volatile.Write(ref _lastEcho, DateTime.UtcNow.Ticks);
                        Volatile.Write(ref _lastHeartbeatSent, DateTime.UtcNow.Ticks);
                        _confirmed = true;
                        _confirmedOnce.Set();
                    }
                }
            }

            return;
        }

        var known = _lastSequence.TryGetValue(message.Instance, out var last);
        _lastSequence[message.Instance] = message.Sequence;
        if (known && message.Sequence != last + 1)
        {
            _statistics.RecordBackplaneDropped();
            LogGap(_logger, message.Instance, last, message.Sequence);
            lock (_trust)
            {
                _receiver.OnUnsafe(serveAgain: _confirmed);
            }
        }

        if (message.Kind == BackplaneMessageKind.Probe)
        {
            return;
        }

        _statistics.RecordBackplaneReceived();
        _receiver.OnMessage(message);
    }

    [LoggerMessage(6001, LogLevel.Warning, "The backplane connection to {Endpoint} changed ({FailureType}); the local level is flushed and not served until the subscription is proven again.")]
    private static partial void LogSubscriptionUnsafe(ILogger logger, string endpoint, string failureType);

    [LoggerMessage(6002, LogLevel.Warning, "Backplane messages from instance {Instance} were missed (sequence {Last} then {Next}); the local level is flushed.")]
    private static partial void LogGap(ILogger logger, string instance, long last, long next);

    [LoggerMessage(6005, LogLevel.Warning, "A backplane message could not be read (from a newer version, or not ours); the local level is flushed.")]
    private static partial void LogUnreadable(ILogger logger);

    [LoggerMessage(6004, LogLevel.Warning, "The backplane's heartbeat did not come back; the local level is flushed and not served until the subscription is proven again.")]
    private static partial void LogHeartbeatLost(ILogger logger);

    [LoggerMessage(6003, LogLevel.Warning, "The backplane's loop failed and will try again: {Reason}.")]
    private static partial void LogLoopFailed(ILogger logger, string reason);
}
