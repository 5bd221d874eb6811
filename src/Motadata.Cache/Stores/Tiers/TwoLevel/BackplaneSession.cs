using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Backends.Dragonfly;

namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>
/// This instance's part in the backplane, over any <see cref="IBackplane"/>: numbers what it sends, proves that its
/// subscription delivers, checks it with heartbeats, notices gaps in other instances' sequences, and forgets senders
/// that went quiet. Every change of trust is handed to the <see cref="IBackplaneReceiver"/> (the local level). All of
/// its time (the tick, the probe's patience, heartbeats, forgetting senders) runs on the configured
/// <see cref="TimeProvider"/>, so tests move a fake clock instead of waiting.
/// </summary>
/// <remarks>
/// The subscription is trusted only once this instance's own probe has come back through it: at start, and after
/// every connection failure or restore (until then the local level is not served).
/// </remarks>
internal sealed partial class BackplaneSession : IBackplaneListener, IDisposable, IAsyncDisposable
{
    /// <summary>How often the loop looks at heartbeats, quiet senders and owed announcements.</summary>
    internal static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a probe may take to come back before the subscription is made afresh.</summary>
    internal static readonly TimeSpan ProbePatience = TimeSpan.FromSeconds(2);

    /// <summary>While trusted, a heartbeat (a probe of our own) goes out this often.</summary>
    internal static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(1);

    /// <summary>No heartbeat back for this long: the subscription broke without the client noticing (a half-open socket, a frozen server).</summary>
    internal static readonly TimeSpan HeartbeatPatience = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A sender not heard from for this long is forgotten (its sequence number too). Every instance whose
    /// subscription is proven sends a heartbeat every <see cref="HeartbeatEvery"/>, so only a departed, frozen or
    /// cut-off one goes this quiet.
    /// </summary>
    internal static readonly TimeSpan SenderExpiry = TimeSpan.FromSeconds(30);

    private readonly IBackplane _transport;
    private readonly IBackplaneReceiver _receiver;
    private readonly CacheCounters _statistics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _publishGate = new();

    // Every change of trust (lost, proven, gap) happens under this lock, together with the local level's reaction, so
    // a connection event on one thread and a probe's echo on another can never leave the two disagreeing.
    private readonly Lock _trust = new();
    private readonly CancellationTokenSource _disposing = new();

    // The last sequence number and when it was heard, per other instance; written on the message thread, pruned by the loop.
    private readonly Dictionary<string, Sender> _senders = new(StringComparer.Ordinal);
    private readonly Lock _sendersGate = new();
    private readonly ManualResetEventSlim _confirmedOnce = new();
    private readonly ITimer _ticker;
    private readonly Task _loop;
    private TaskCompletionSource? _nextTick;
    private TaskCompletionSource? _probeEcho;
    private int _proofRequested = 1;
    private bool _subscribed;
    private long _sequence;
    private volatile bool _confirmed;
    private volatile string? _expectedProbe;
    private long _confirmedAt;
    private long _lastHeartbeatSent;
    private long _lastEcho;
    private long _heartbeats;
    private long _turns;
    private int _disposed;

    public BackplaneSession(IBackplane transport, IBackplaneReceiver receiver, CacheCounters statistics, ILogger logger, TimeProvider time)
    {
        _transport = transport;
        _receiver = receiver;
        _statistics = statistics;
        _logger = logger;
        _time = time;
        InstanceId = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        _transport.Attach(this);

        // The timer and the loop must not hold on to whatever execution context (activity, async locals) the cache
        // was built in.
        var restoreFlow = !ExecutionContext.IsFlowSuppressed();
        if (restoreFlow)
        {
            ExecutionContext.SuppressFlow();
        }

        try
        {
            _ticker = time.CreateTimer(static state => ((BackplaneSession)state!).OnTickerFired(), this, TickInterval, TickInterval);
            _loop = Task.Run(RunAsync);
        }
        finally
        {
            if (restoreFlow)
            {
                ExecutionContext.RestoreFlow();
            }
        }
    }

    /// <summary>This instance's id on the backplane.</summary>
    public string InstanceId { get; }

    /// <summary>True while the subscription is proven to deliver.</summary>
    public bool IsConfirmed => _confirmed;

    /// <summary>The transport, for tests.</summary>
    internal IBackplane Transport => _transport;

    /// <summary>True once the subscription was first proven; for tests.</summary>
    internal bool WasEverConfirmed => _confirmedOnce.IsSet;

    /// <summary>Whether the channel is sharded (a Redis Cluster); for tests.</summary>
    internal bool IsSharded => _transport is Backplane redis && redis.IsSharded;

    /// <summary>The other instances whose sequence numbers are kept; for tests.</summary>
    internal int KnownSenders
    {
        get
        {
            lock (_sendersGate)
            {
                return _senders.Count;
            }
        }
    }

    /// <summary>Turns of the loop completed so far (each then waits for the next tick); for tests that move a fake clock one tick at a time.</summary>
    internal long Turns => Interlocked.Read(ref _turns);

    /// <summary>
    /// Waits (at most <paramref name="patience"/>, a bound on the network like the connect timeout) until the
    /// subscription is first proven, when the transport is connected: so a new cache serves locally from its first
    /// calls. Returns at once when it is not connected.
    /// </summary>
    public bool WaitUntilConfirmed(TimeSpan patience) => !_transport.IsConnected ? _confirmed : _confirmedOnce.Wait(patience);

    /// <summary>Announces a change; false (counted as dropped) when the transport did not take it.</summary>
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

    public void OnConnectionChanged(string endpoint, string change)
    {
        // Failed or restored, messages may have been lost in between: distrust the subscription until a probe returns.
        Distrust();
        LogSubscriptionUnsafe(_logger, endpoint, change);
        RequestProof();
    }

    /// <summary>One message, in order. The probe that confirms the subscription is handled here too, so it is ordered with the rest.</summary>
    public void OnMessage(string? text)
    {
        if (!BackplaneMessage.TryDecode(text, out var message))
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
            OnOwnProbe(message);
            return;
        }

        if (IsGap(message, out var last))
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

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _disposing.Cancel();
        _ticker.Dispose();
        _transport.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await _ticker.DisposeAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
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

    /// <summary>Numbers the message and hands it to the transport under one lock, so messages leave in sequence order.</summary>
    private Task? Send(BackplaneMessageKind kind, string? tenantId, string subject)
    {
        try
        {
            lock (_publishGate)
            {
                var message = new BackplaneMessage(kind, InstanceId, _sequence + 1, tenantId, subject);
                var pending = _transport.Publish(message.Encode());
                if (pending is not null)
                {
                    // A number is used only by a message that left, so a refused one makes no gap for the others.
                    _sequence++;
                }

                return pending;
            }
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="message"/> shows that messages of its sender were missed (<paramref name="last"/>: the
    /// number heard before, or 0), and notes it as the sender's last.
    /// </summary>
    /// <remarks>
    /// A sender not known yet is new when its number is 1 (its first probe). With another number, it is one that was
    /// already running when this subscription was proven (its earlier messages are covered by the flush at that
    /// moment), or, later than <see cref="HeartbeatPatience"/> after it (by when every instance with a proven
    /// subscription has sent a heartbeat), one that was forgotten or never heard: what it sent meanwhile may have been
    /// missed, so that counts as a gap.
    /// </remarks>
    private bool IsGap(in BackplaneMessage message, out long last)
    {
        var now = _time.GetTimestamp();
        lock (_sendersGate)
        {
            bool gap;
            if (_senders.TryGetValue(message.Instance, out var sender))
            {
                last = sender.Sequence;
                gap = message.Sequence != last + 1;
            }
            else
            {
                last = 0;
                gap = message.Sequence != 1 && _confirmed && _time.GetElapsedTime(Volatile.Read(ref _confirmedAt), now) > HeartbeatPatience;
            }

            _senders[message.Instance] = new Sender(message.Sequence, now);
            return gap;
        }
    }

    private void OnOwnProbe(in BackplaneMessage message)
    {
        if (message.Kind != BackplaneMessageKind.Probe)
        {
            return;
        }

        if (message.Subject.StartsWith("hb", StringComparison.Ordinal))
        {
            Volatile.Write(ref _lastEcho, _time.GetTimestamp());
            return;
        }

        lock (_trust)
        {
            if (message.Subject == _expectedProbe && !_confirmed)
            {
                // Everything sent before this probe, we may have missed; from here on, gaps are detected.
                lock (_sendersGate)
                {
                    _senders.Clear();
                }

                _receiver.OnSubscriptionConfirmed();
                var now = _time.GetTimestamp();
                Volatile.Write(ref _confirmedAt, now);
                Volatile.Write(ref _lastEcho, now);
                Volatile.Write(ref _lastHeartbeatSent, now);
                _confirmed = true;
                _confirmedOnce.Set();
                _probeEcho?.TrySetResult();
            }
        }
    }

    private void OnTickerFired() => Volatile.Read(ref _nextTick)?.TrySetResult();

    /// <summary>Makes the loop prove the subscription on its next turn, at once.</summary>
    private void RequestProof()
    {
        Volatile.Write(ref _proofRequested, 1);
        Volatile.Read(ref _nextTick)?.TrySetResult();
    }

    /// <summary>Until the next tick of the clock, or a request for proof.</summary>
    private Task NextTurnAsync(CancellationToken token)
    {
        var tick = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _nextTick, tick);

        // Counted once the next tick can be seen, so a test that saw the count move may move its clock.
        Interlocked.Increment(ref _turns);
        return Volatile.Read(ref _proofRequested) != 0 ? Task.CompletedTask : tick.Task.WaitAsync(token);
    }

    /// <summary>Subscribes, proves the subscription with a probe, then ticks; again after every connection change.</summary>
    private async Task RunAsync()
    {
        var token = _disposing.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (Interlocked.Exchange(ref _proofRequested, 0) != 0 || !_confirmed)
                {
                    await ProveAsync(token).ConfigureAwait(false);
                }

                CheckHeartbeat();
                ForgetQuietSenders();
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
                if (!_confirmed)
                {
                    // A probe or subscribe that failed (say, sent to a primary that died): where the channel lives
                    // may have moved.
                    _transport.RefreshRoutes();
                }
            }

            try
            {
                await NextTurnAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
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

        var now = _time.GetTimestamp();
        var sinceEcho = _time.GetElapsedTime(Volatile.Read(ref _lastEcho), now);
        var sinceSent = _time.GetElapsedTime(Volatile.Read(ref _lastHeartbeatSent), now);
        if (sinceEcho > HeartbeatPatience && sinceSent < HeartbeatPatience)
        {
            // Heartbeats went out and none came back: the subscription may be dead without the client knowing.
            Distrust();
            LogHeartbeatLost(_logger);
            RequestProof();
            return;
        }

        if (sinceSent >= HeartbeatEvery)
        {
            Volatile.Write(ref _lastHeartbeatSent, now);
            var sent = Send(BackplaneMessageKind.Probe, null, "hb" + Interlocked.Increment(ref _heartbeats).ToString(CultureInfo.InvariantCulture));
            sent?.ContinueWith(static task => _ = task.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>The owner of the per-sender map: removes the senders not heard from for <see cref="SenderExpiry"/>.</summary>
    private void ForgetQuietSenders()
    {
        var now = _time.GetTimestamp();
        lock (_sendersGate)
        {
            foreach (var (instance, sender) in _senders)
            {
                if (_time.GetElapsedTime(sender.HeardAt, now) >= SenderExpiry)
                {
                    _senders.Remove(instance);
                }
            }
        }
    }

    private async Task ProveAsync(CancellationToken token)
    {
        if (_confirmed || !_transport.IsConnected)
        {
            return;
        }

        if (!_subscribed)
        {
            if (!await _transport.SubscribeAsync().ConfigureAwait(false))
            {
                return;
            }

            _subscribed = true;
        }

        var probe = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var echo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_trust)
        {
            _probeEcho = echo;
            _expectedProbe = probe;
        }

        var sent = Send(BackplaneMessageKind.Probe, null, probe);
        if (sent is null)
        {
            return;
        }

        await sent.WaitAsync(token).ConfigureAwait(false);
        try
        {
            await echo.Task.WaitAsync(ProbePatience, _time, token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Not back in time: handled below.
        }

        if (!_confirmed)
        {
            // Not back (or the trust was lost again meanwhile): subscribe afresh, where the channel lives now, and try
            // again on the next turn.
            _subscribed = false;
            _transport.RefreshRoutes();
            await _transport.UnsubscribeAsync().ConfigureAwait(false);
            RequestProof();
        }
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

    /// <summary>What is kept of another instance: its last sequence number and when it was heard (a <see cref="TimeProvider"/> timestamp).</summary>
    private readonly record struct Sender(long Sequence, long HeardAt);
}
