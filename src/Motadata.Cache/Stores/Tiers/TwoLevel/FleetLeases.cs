using System.Globalization;
using Motadata.Cache.Keys;
using Motadata.Cache.Stores.Backends.Dragonfly;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>
/// Fleet-wide single flight for <c>GetOrSetAsync</c> (<see cref="CacheConfig.EnableFleetSingleFlight"/>): the first
/// instance to miss a key takes a lease on the server (<c>SET NX PX</c>) and runs the factory, renewing the lease while
/// it runs; the others wait for the value, woken by the backplane's message of its Set or by polling, and take over
/// when the lease is gone without a value (its holder died, or its factory failed).
/// </summary>
/// <remarks>
/// A lease lives at <c>{KeyPrefix}lease:</c> followed by the entry's server key without the prefix: outside every
/// namespace, so <c>Clear</c> and <c>GetStats</c> never see it. Only the holder's token renews or releases it, so a
/// holder that lost its lease cannot remove its successor's: the comparison is a transaction's condition
/// (<c>WATCH</c>, <c>GET</c>, then <c>MULTI</c>/<c>PEXPIRE</c> or <c>DEL</c>/<c>EXEC</c>), not a Lua script, so it works
/// on servers without scripting too (Microsoft Garnet by default, managed Redis offerings that disable <c>EVAL</c>).
/// Renewals and polls run on the configured <see cref="TimeProvider"/>. A key's waker lives only while some caller
/// waits on it: the last waiter to leave removes it, whether a message woke it or its poll ran out.
/// </remarks>
internal sealed class FleetLeases
{
    private readonly DragonflyKeys _keys;
    private readonly string _instanceId;
    private readonly TimeProvider _time;
    private readonly Lock _wakersGate = new();
    private readonly Dictionary<CacheKey, Waker> _wakers = [];
    private volatile int _waitingKeys;
    private long _tokens;

    public FleetLeases(DragonflyKeys keys, string instanceId, TimeSpan duration, TimeProvider time)
    {
        _keys = keys;
        _instanceId = instanceId;
        _time = time;
        Duration = duration;
        PollInterval = TimeSpan.FromTicks(Math.Clamp(duration.Ticks / 10, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerMillisecond * 250));
    }

    /// <summary>How long a lease lives without renewal (<see cref="CacheConfig.FleetLeaseDuration"/>).</summary>
    public TimeSpan Duration { get; }

    /// <summary>How often a waiting instance looks again when no message woke it.</summary>
    public TimeSpan PollInterval { get; }

    /// <summary>Keys some caller waits on now; for tests (0 once every wait has ended).</summary>
    internal int WaitingKeys => _waitingKeys;

    /// <summary>
    /// Takes the lease of <paramref name="key"/>: its token when taken, null when another instance holds it, and an
    /// empty token when the server could not be asked (the caller then runs the factory: availability first).
    /// </summary>
    public async Task<string?> TryAcquireAsync(CacheKey key)
    {
        var token = _instanceId + ":" + Interlocked.Increment(ref _tokens).ToString(CultureInfo.InvariantCulture);
        try
        {
            return await _keys.Root.StringSetAsync(LeaseKey(key), token, Duration, When.NotExists).ConfigureAwait(false) ? token : null;
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return string.Empty;
        }
    }

    /// <summary>True while some instance holds the lease of <paramref name="key"/> (a failure to ask counts as not held).</summary>
    public async Task<bool> IsHeldAsync(CacheKey key)
    {
        try
        {
            return await _keys.Root.KeyExistsAsync(LeaseKey(key)).ConfigureAwait(false);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return false;
        }
    }

    /// <summary>Renews the lease every third of its duration until <paramref name="stop"/> is cancelled or the lease is lost.</summary>
    public async Task RenewUntilAsync(CacheKey key, string token, CancellationToken stop)
    {
        if (token.Length == 0)
        {
            return;
        }

        var every = Duration / 3;
        try
        {
            while (true)
            {
                await Task.Delay(every, _time, stop).ConfigureAwait(false);
                var lease = LeaseKey(key);
                var renewal = _keys.Root.CreateTransaction();
                renewal.AddCondition(Condition.StringEqual(lease, token));
                _ = renewal.KeyExpireAsync(lease, Duration);
                if (!await renewal.ExecuteAsync().ConfigureAwait(false))
                {
                    // Lost (expired, or taken over): nothing left to renew.
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            // The lease runs out by itself; another instance may take over, which costs a second factory run, never a wrong value.
        }
    }

    /// <summary>Gives the lease up (only if <paramref name="token"/> still holds it), so waiting instances go on at once.</summary>
    public async Task ReleaseAsync(CacheKey key, string token)
    {
        if (token.Length == 0)
        {
            return;
        }

        try
        {
            var lease = LeaseKey(key);
            var release = _keys.Root.CreateTransaction();
            release.AddCondition(Condition.StringEqual(lease, token));
            _ = release.KeyDeleteAsync(lease);
            await release.ExecuteAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            // It expires on its own.
        }
    }

    /// <summary>Waits until a backplane message about <paramref name="key"/> arrives or <see cref="PollInterval"/> passes.</summary>
    public async Task WaitAsync(CacheKey key, CancellationToken cancellationToken)
    {
        // The poll is on the clock before the wait shows in WaitingKeys, so a test that saw it may move the clock.
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(PollInterval, _time, poll.Token);
        Waker waker;
        lock (_wakersGate)
        {
            if (!_wakers.TryGetValue(key, out waker!))
            {
                waker = new Waker();
                _wakers.Add(key, waker);
                _waitingKeys = _wakers.Count;
            }

            waker.Waiters++;
        }

        try
        {
            await Task.WhenAny(waker.Woken.Task, delay).ConfigureAwait(false);
            await poll.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            // The last waiter out removes the waker (unless a message already did): nothing else would.
            lock (_wakersGate)
            {
                if (--waker.Waiters == 0 && _wakers.TryGetValue(key, out var current) && ReferenceEquals(current, waker))
                {
                    _wakers.Remove(key);
                    _waitingKeys = _wakers.Count;
                }
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>A backplane message covered <paramref name="key"/>: wake whoever waits for it.</summary>
    public void Wake(in CacheKey key)
    {
        if (_waitingKeys == 0)
        {
            return;
        }

        Waker? waker;
        lock (_wakersGate)
        {
            if (_wakers.Remove(key, out waker))
            {
                _waitingKeys = _wakers.Count;
            }
        }

        waker?.Woken.TrySetResult();
    }

    /// <summary>Wakes every waiter (a message covering many keys, or a flush).</summary>
    public void WakeAll()
    {
        if (_waitingKeys == 0)
        {
            return;
        }

        Waker[] woken;
        lock (_wakersGate)
        {
            woken = [.. _wakers.Values];
            _wakers.Clear();
            _waitingKeys = 0;
        }

        foreach (var waker in woken)
        {
            waker.Woken.TrySetResult();
        }
    }

    private RedisKey LeaseKey(in CacheKey key) =>
        _keys.KeyPrefix + "lease:" + _keys.ServerKey(key.TenantId, key.Key)[_keys.KeyPrefix.Length..];

    /// <summary>The callers waiting on one key, and what wakes them.</summary>
    private sealed class Waker
    {
        public TaskCompletionSource Woken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>How many callers wait on it; changed under the map's lock.</summary>
        public int Waiters { get; set; }
    }
}
