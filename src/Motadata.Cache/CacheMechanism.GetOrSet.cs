using Motadata.Cache.Internal;
using Motadata.Cache.Keys;
using Motadata.Cache.Stores;

namespace Motadata.Cache;

public sealed partial class CacheMechanism
{
    /// <summary>
    /// The value under <paramref name="key"/>; on a miss, runs <paramref name="factory"/>, caches what it returns
    /// and returns it. Concurrent callers for the same tenant and key share one factory run. A factory that throws
    /// caches nothing, and every caller waiting on it sees the exception. One caller's cancellation ends only its own
    /// wait: the factory's token is cancelled when every waiting caller has given up, or the cache is disposed.
    /// </summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key, at most <see cref="CacheConfig.MaxKeyLength"/> characters.</param>
    /// <param name="factory">Makes the value on a miss.</param>
    /// <param name="ttl">How long the value lives: null for <see cref="CacheConfig.Ttl"/>.</param>
    /// <param name="tenantId">The tenant, or null for the global namespace.</param>
    /// <param name="cancellationToken">Ends this caller's wait.</param>
    /// <returns>The cached or newly made value.</returns>
    public ValueTask<T> GetOrSetAsync<T>(string key, Func<CancellationToken, ValueTask<T>> factory, TimeSpan? ttl = null, string? tenantId = null, CancellationToken cancellationToken = default)
    {
        CheckKey(key, tenantId);
        if (factory is null)
        {
            Throw.ArgumentNull(nameof(factory));
        }

        var effectiveTtl = ResolveTtl(ttl);
        if (_inline is { } inline && TryGetInline(inline, key, tenantId, out T? hit, out _))
        {
            return new ValueTask<T>(hit!);
        }

        // Counted where every store outcome is: in Count, once the read completes.
        var cacheKey = new CacheKey(tenantId, key);
        return GetOrSetSlowAsync(_store.ReadAsync<T>(cacheKey, cancellationToken), cacheKey, factory, effectiveTtl, cancellationToken);
    }

    private async ValueTask<T> GetOrSetSlowAsync<T>(ValueTask<ReadOutcome<T>> lookup, CacheKey cacheKey, Func<CancellationToken, ValueTask<T>> factory, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (Count(_statistics.ForLookup(cacheKey.TenantId), await lookup.ConfigureAwait(false), out var cached))
        {
            return cached;
        }

        var flightKey = new FlightKey(cacheKey, typeof(T));
        while (true)
        {
            if (_disposed != 0)
            {
                Throw.Disposed();
            }

            var flight = (Flight<T>)_inFlight.GetOrAdd(flightKey, static (_, token) => new Flight<T>(token), _disposing.Token);
            if (!flight.TryJoin())
            {
                // Finished or abandoned a moment ago: take its value if it has one, else start afresh.
                _inFlight.TryRemove(new KeyValuePair<FlightKey, object>(flightKey, flight));
                if (flight.Task.IsCompletedSuccessfully && !flight.IsStale)
                {
                    return flight.Task.Result;
                }

                continue;
            }

            if (flight.TryStart())
            {
                _ = RunFlightAsync(flightKey, flight, factory, ttl);
            }

            try
            {
                return await flight.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (flight.Leave())
                {
                    _inFlight.TryRemove(new KeyValuePair<FlightKey, object>(flightKey, flight));
                }

                throw;
            }
        }
    }

    private async Task RunFlightAsync<T>(FlightKey flightKey, Flight<T> flight, Func<CancellationToken, ValueTask<T>> factory, TimeSpan ttl)
    {
        try
        {
            // Leave the caller's thread at once, so a factory that blocks before its first await blocks no caller.
            await Task.Yield();

            // Look again before running the factory: on a remote backend a caller's miss can cross the network while
            // an earlier flight for this key stores its value and leaves the table, and that caller then starts this one.
            var stored = await _store.ReadAsync<T>(flightKey.Key, flight.Token).ConfigureAwait(false);
            if (stored.Failure is { } failure)
            {
                throw failure;
            }

            if (stored.Found)
            {
                _inFlight.TryRemove(new KeyValuePair<FlightKey, object>(flightKey, flight));
                flight.Complete(stored.Value!);
                return;
            }

            T value;
            if (_localLevel?.Leases is { } leases)
            {
                var turn = await TakeFleetTurnAsync<T>(leases, flightKey.Key, flight.Token).ConfigureAwait(false);
                if (turn.Found)
                {
                    _inFlight.TryRemove(new KeyValuePair<FlightKey, object>(flightKey, flight));
                    flight.Complete(turn.Value!);
                    return;
                }

                value = await RunUnderLeaseAsync(leases, flightKey, flight, factory, ttl, turn.Lease!).ConfigureAwait(false);
                _inFlight.TryRemove(new KeyValuePair<FlightKey, object>(flightKey, flight));
                flight.Complete(value);
                return;
            }

            value = await factory(flight.Token).ConfigureAwait(false);
            await StoreFlightValueAsync(flightKey, flight, value, ttl).ConfigureAwait(false);

            // Stored before the flight leaves the table, so a caller arriving after this finds the value cached.
            _inFlight.TryRemove(new KeyValuePair<FlightKey, object>(flightKey, flight));
            flight.Complete(value);
        }
#pragma warning disable CA1031 // Every factory failure goes to the waiting callers, whatever it is.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _inFlight.TryRemove(new KeyValuePair<FlightKey, object>(flightKey, flight));
            flight.Fail(exception);
        }
        finally
        {
            flight.Dispose();
        }
    }

    /// <summary>
    /// Fleet-wide single flight: takes the key's lease (then the factory is this instance's to run: the lease is
    /// returned), or waits while another instance holds it, until its value is stored (returned as found) or its
    /// lease is gone without one (its holder died or failed), and then tries to take it.
    /// </summary>
    private async Task<(bool Found, T? Value, string? Lease)> TakeFleetTurnAsync<T>(Stores.Tiers.TwoLevel.FleetLeases leases, CacheKey key, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await leases.TryAcquireAsync(key).ConfigureAwait(false) is { } lease)
            {
                return (false, default, lease);
            }

            do
            {
                await leases.WaitAsync(key, cancellationToken).ConfigureAwait(false);
                if (await ReadStoredAsync<T>(key, cancellationToken).ConfigureAwait(false) is { Found: true } stored)
                {
                    return (true, stored.Value, null);
                }
            }
            while (await leases.IsHeldAsync(key).ConfigureAwait(false));

            // The lease is gone. Its holder stores the value before it gives the lease up, so a value stored between
            // the read above and that answer is there now: read once more before taking the lease and running a
            // second factory.
            if (await ReadStoredAsync<T>(key, cancellationToken).ConfigureAwait(false) is { Found: true } last)
            {
                return (true, last.Value, null);
            }
        }
    }

    private async ValueTask<ReadOutcome<T>> ReadStoredAsync<T>(CacheKey key, CancellationToken cancellationToken)
    {
        var stored = await _store.ReadAsync<T>(key, cancellationToken).ConfigureAwait(false);
        if (stored.Failure is { } failure)
        {
            throw failure;
        }

        return stored;
    }

    /// <summary>Runs the factory while renewing the lease, stores its value, and gives the lease up (also when the factory fails).</summary>
    private async Task<T> RunUnderLeaseAsync<T>(Stores.Tiers.TwoLevel.FleetLeases leases, FlightKey flightKey, Flight<T> flight, Func<CancellationToken, ValueTask<T>> factory, TimeSpan ttl, string lease)
    {
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(flight.Token);
        var renewing = leases.RenewUntilAsync(flightKey.Key, lease, renewal.Token);
        try
        {
            var value = await factory(flight.Token).ConfigureAwait(false);
            await StoreFlightValueAsync(flightKey, flight, value, ttl).ConfigureAwait(false);
            return value;
        }
        finally
        {
            await renewal.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
            await leases.ReleaseAsync(flightKey.Key, lease).ConfigureAwait(false);
        }
    }

    private async Task StoreFlightValueAsync<T>(FlightKey flightKey, Flight<T> flight, T value, TimeSpan ttl)
    {
        try
        {
            // A Delete, Invalidate or Clear of this key that began while the factory ran makes its value
            // possibly stale: it goes to the callers already waiting, never into the cache.
            if (!flight.IsStale)
            {
                await SetAsync(flightKey.Key.Key, value, ttl, flightKey.Key.TenantId, CancellationToken.None).ConfigureAwait(false);

                // The invalidation marks flights before it removes entries, so one that marked this flight
                // after the check above may have removed the key before the write landed: take it out again.
                // That may remove a fresher value stored meanwhile, which costs a miss, never a stale hit.
                // The fence keeps the read of the flag after the write.
                Interlocked.MemoryBarrier();
                if (flight.IsStale)
                {
                    ResultOrThrow(await _store.DeleteAsync(flightKey.Key, CancellationToken.None).ConfigureAwait(false));
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed while the factory ran: the value still goes to the callers, just not to the cache.
        }
    }

    /// <summary>
    /// Detaches every running factory whose key <paramref name="matches"/>, before a Delete, Invalidate or Clear
    /// touches the store: see <see cref="Flight{T}.Detach"/>. Flights are few, so a scan costs little.
    /// </summary>
    private void DetachFlights<TState>(TState state, Func<CacheKey, TState, bool> matches)
    {
        if (_inFlight.IsEmpty)
        {
            return;
        }

        foreach (var pair in _inFlight)
        {
            if (matches(pair.Key.Key, state))
            {
                _inFlight.TryRemove(pair);

                // Marked even when the flight left the table on its own a moment ago: a caller holding it must not
                // take its value as fresh.
                ((IDetachableFlight)pair.Value).Detach();
            }
        }
    }

    private void DetachFlights(CacheKey key) =>
        DetachFlights(key, static (flightKey, key) => flightKey == key);

    private void DetachFlights(string? tenantId, GlobPattern pattern) =>
        DetachFlights((tenantId, pattern), static (flightKey, state) =>
            string.Equals(flightKey.TenantId, state.tenantId, StringComparison.Ordinal) && state.pattern.IsMatch(flightKey.Key));

    private void DetachFlights(string? tenantId) =>
        DetachFlights(tenantId, static (flightKey, tenantId) =>
            tenantId is null || string.Equals(flightKey.TenantId, tenantId, StringComparison.Ordinal));

    /// <summary>How many callers wait on the running factory for this tenant, key and type: 0 when none runs. For tests.</summary>
    internal int WaitingCallers<T>(string key, string? tenantId) =>
        _inFlight.TryGetValue(new FlightKey(new CacheKey(tenantId, key), typeof(T)), out var flight) ? ((Flight<T>)flight).Waiters : 0;
}
