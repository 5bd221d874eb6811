using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Motadata.Cache.Keys;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Backends.Dragonfly;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Stores.Tiers.TwoLevel;

/// <summary>
/// A local level (the memory store) in front of Dragonfly (<see cref="CacheConfig.EnableLocalLevel"/>), kept coherent
/// across instances over an <see cref="IBackplane"/> (handed in by the composition root: Redis pub/sub, or an
/// in-process bus in tests) through a <see cref="BackplaneSession"/>. Reads are served locally while the backplane's subscription is
/// proven and the server healthy; a local miss reads the server once per key in this process (concurrent misses wait
/// for it) and fills the local level for no longer than the value's remaining TTL on the server (the tier below's
/// <see cref="ICacheStore.ReadWithTtlAsync{T}"/>, a store operation that recovery and telemetry see) and
/// <see cref="CacheConfig.LocalMaxLifetime"/>. Writes and removals go to the server first, then
/// change the local level, then are announced; other instances drop what a message covers and never re-read.
/// </summary>
/// <remarks>
/// <see cref="LocalGenerations"/> keeps a slow fill or write from putting an old value back after an invalidation
/// passed it. An instance that may have missed a message (subscription lost or restored, a gap in a sender's sequence)
/// empties its local level and serves nothing locally until its subscription is proven again. With recovery on, the
/// local level is not served while the server is failing, and changes made during an outage are announced (as one
/// "drop everything") only once recovery has replayed its journal.
/// </remarks>
internal sealed partial class TwoLevelStore : ICacheStore, IBackplaneReceiver
{
    /// <summary>A warm of more keys than this is announced as a clear of the tenant's local entries.</summary>
    private const int MaxAnnouncedKeys = 256;

    private readonly ICacheStore _inner;

    // The tier below's one exact health signal (recovery: one server's, or every cluster primary's), handed in by the
    // composition root; null without recovery.
    private readonly IHealthSignal? _health;
    private readonly DragonflyKeys _keys;
    private readonly CacheCounters _statistics;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxLifetime;
    private readonly LocalGenerations _generations = new();
    private readonly ConcurrentDictionary<ReadFlightKey, object> _reads = new();
    private readonly Lock _safety = new();
    private readonly BackplaneSession _backplane;
    private volatile bool _serving;
    private volatile bool _owesAnnouncement;

    /// <param name="inner">The tier below (recovery, or the server's store).</param>
    /// <param name="keys">The server's key layout, for fleet leases.</param>
    /// <param name="health">The tier below's health signal; null when nothing below recovers (a failure is then thrown to the caller).</param>
    /// <param name="config">The settings.</param>
    /// <param name="statistics">The local level's own counters (the facade reads them as the LocalLevel section).</param>
    /// <param name="time">The clock.</param>
    /// <param name="backplane">The transport of the coherence messages (Redis pub/sub, or an in-process bus in tests).</param>
    public TwoLevelStore(ICacheStore inner, DragonflyKeys keys, IHealthSignal? health, CacheConfig config, CacheCounters statistics, TimeProvider time, IBackplane backplane)
    {
        _inner = inner;
        _health = health;
        _keys = keys;
        _statistics = statistics;
        _time = time;
        var local = config.LocalLevel ?? throw new ArgumentException("The local level needs CacheConfig.LocalLevel.", nameof(config));
        _maxLifetime = local.MaxLifetime;

        // The local level counts on counters of its own, handed in by the composition root (its evictions are not the
        // server's); the facade reads them as the LocalLevel section of its statistics.
        Local = new MemoryStore(CacheConfig.ForInProcessTier(local.MaxSize, local.MaxMemoryBytes, local.MaxLifetime, config.ScanInterval), statistics, time);
        var logger = (config.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Motadata.Cache.Backplane");
        _backplane = new BackplaneSession(backplane, this, statistics, logger, time);
        Leases = local.FleetSingleFlight is { } fleet ? new FleetLeases(_keys, _backplane.InstanceId, fleet.LeaseDuration, time) : null;

        // Like the connection itself, the first subscription is waited for (only while the server answers), so a new
        // cache serves locally from its first calls.
        _backplane.WaitUntilConfirmed(config.ConnectTimeout);
    }

    public string Name => _inner.Name;

    /// <summary>The local level, for the facade's inlined hit path (see <see cref="IsServing"/>).</summary>
    public MemoryStore Local { get; }

    /// <summary>Fleet-wide single flight for <c>GetOrSetAsync</c>, when <see cref="LocalLevelOptions.FleetSingleFlight"/> is set.</summary>
    public FleetLeases? Leases { get; }

    /// <summary>This instance's session on the backplane, for tests.</summary>
    internal BackplaneSession Backplane => _backplane;

    /// <summary>True when a local entry may be served: the subscription is proven and the server is not failing.</summary>
    public bool IsServing
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _serving && (_health is null || _health.IsHealthy);
    }

    public ReadOutcome<T> Read<T>(in CacheKey key)
    {
        if (IsServing && Local.TryGet(key, out T? value))
        {
            _statistics.ForLookup(key.TenantId).LocalHitsViaStore.Increment();
            return ReadOutcome<T>.Hit(value);
        }

        return ReadThrough<T>(key);
    }

    public ValueTask<ReadOutcome<T>> ReadAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        ReadAsync<T, ReadOutcome<T>, ReadOutcomeAsIs<T>>(key, default, cancellationToken);

    public ValueTask<TResult> ReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult>
    {
        if (IsServing && Local.TryGet(key, out T? value))
        {
            _statistics.ForLookup(key.TenantId).LocalHitsViaStore.Increment();
            return new(projection.Project(ReadOutcome<T>.Hit(value)));
        }

        return ReadThroughAsync<T, TResult, TProjection>(key, projection, cancellationToken);
    }

    // Asked of the server (the tier above wants the server's TTL, not the local copy's); fills nothing.
    public ReadOutcome<TimedValue<T>> ReadWithTtl<T>(in CacheKey key) => _inner.ReadWithTtl<T>(key);

    public ValueTask<ReadOutcome<TimedValue<T>>> ReadWithTtlAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        _inner.ReadWithTtlAsync<T>(key, cancellationToken);

    // A batch is one MGET already; it is answered by the server and fills nothing.
    public ValueTask<StoreOutcome<ReadOutcome<T>[]>> ReadManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        _inner.ReadManyAsync<T>(tenantId, keys, cancellationToken);

    public StoreOutcome<StoreUsage> GetUsage(string? tenantId) => _inner.GetUsage(tenantId);

    public ValueTask<StoreOutcome<StoreUsage>> GetUsageAsync(string? tenantId, CancellationToken cancellationToken) =>
        _inner.GetUsageAsync(tenantId, cancellationToken);

    public void Dispose()
    {
        _backplane.Dispose();
        _inner.Dispose();
        Local.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _backplane.DisposeAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        Local.Dispose();
    }

    /// <summary>A local miss: one server read per key and type in this process; the callers that arrive meanwhile wait for it.</summary>
    private ReadOutcome<T> ReadThrough<T>(in CacheKey key)
    {
        var flightKey = new ReadFlightKey(key, typeof(T));
        while (true)
        {
            if (_reads.TryGetValue(flightKey, out var running))
            {
                return ((Task<ReadOutcome<T>>)running).GetAwaiter().GetResult();
            }

            var completion = new TaskCompletionSource<ReadOutcome<T>>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_reads.TryAdd(flightKey, completion.Task))
            {
                continue;
            }

            try
            {
                // The read before this one may have filled the level and left the table after this caller missed.
                var outcome = LocalHitOrNothing<T>(key) ?? FetchAndFill<T>(key);
                completion.SetResult(outcome);
                return outcome;
            }
            catch (Exception exception)
            {
                completion.SetException(exception);
                throw;
            }
            finally
            {
                _reads.TryRemove(new KeyValuePair<ReadFlightKey, object>(flightKey, completion.Task));
            }
        }
    }

    private async ValueTask<TResult> ReadThroughAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult>
    {
        cancellationToken.ThrowIfCancellationRequested();
        var flightKey = new ReadFlightKey(key, typeof(T));
        Task<ReadOutcome<T>> flight;
        while (true)
        {
            if (_reads.TryGetValue(flightKey, out var running))
            {
                flight = (Task<ReadOutcome<T>>)running;
                break;
            }

            var completion = new TaskCompletionSource<ReadOutcome<T>>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_reads.TryAdd(flightKey, completion.Task))
            {
                // The shared read ignores any one caller's token (each caller stops waiting on its own); it is bounded
                // by the operation timeout.
                _ = RunFlightAsync(key, flightKey, completion);
                flight = completion.Task;
                break;
            }
        }

        var outcome = cancellationToken.CanBeCanceled
            ? await flight.WaitAsync(cancellationToken).ConfigureAwait(false)
            : await flight.ConfigureAwait(false);
        return projection.Project(outcome);
    }

    private async Task RunFlightAsync<T>(CacheKey key, ReadFlightKey flightKey, TaskCompletionSource<ReadOutcome<T>> completion)
    {
        try
        {
            completion.SetResult(LocalHitOrNothing<T>(key) ?? await FetchAndFillAsync<T>(key).ConfigureAwait(false));
        }
#pragma warning disable CA1031 // Handed to every waiter.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            completion.SetException(exception);
        }
        finally
        {
            _reads.TryRemove(new KeyValuePair<ReadFlightKey, object>(flightKey, completion.Task));
        }
    }

    /// <summary>A local hit (counted), or null: looked at again by a new server read before it leaves.</summary>
    private ReadOutcome<T>? LocalHitOrNothing<T>(in CacheKey key)
    {
        if (IsServing && Local.TryGet(key, out T? value))
        {
            _statistics.ForLookup(key.TenantId).LocalHitsViaStore.Increment();
            return ReadOutcome<T>.Hit(value);
        }

        return null;
    }

    private ReadOutcome<T> FetchAndFill<T>(in CacheKey key)
    {
        var stripe = LocalGenerations.StripeOf(key);
        var snapshot = _generations.Take(stripe);
        var started = _time.GetTimestamp();
        return Filled(key, _inner.ReadWithTtl<T>(key), started, stripe, snapshot);
    }

    private async ValueTask<ReadOutcome<T>> FetchAndFillAsync<T>(CacheKey key)
    {
        var stripe = LocalGenerations.StripeOf(key);
        var snapshot = _generations.Take(stripe);
        var started = _time.GetTimestamp();
        var outcome = await _inner.ReadWithTtlAsync<T>(key, CancellationToken.None).ConfigureAwait(false);
        return Filled(key, outcome, started, stripe, snapshot);
    }

    /// <summary>
    /// A server read with its TTL: fills the local level when the value came with one (a TTL the tier below could not
    /// vouch for, say recovery's fallback during an outage, fills nothing), and answers the plain read. A write landing
    /// between the read and its announcement moves the generation noted before the read, so the fill is dropped.
    /// </summary>
    private ReadOutcome<T> Filled<T>(in CacheKey key, in ReadOutcome<TimedValue<T>> outcome, long started, int stripe, LocalGenerations.Snapshot snapshot)
    {
        if (!outcome.Found)
        {
            return outcome.Failure is { } failure ? ReadOutcome<T>.Failed(failure) : ReadOutcome<T>.Miss;
        }

        var (value, ttl) = outcome.Value;
        if (ttl is { } remaining && IsServing)
        {
            Fill(key, value, remaining, started, stripe, snapshot);
        }

        return ReadOutcome<T>.Hit(value);
    }

    /// <summary>
    /// Puts a value the server holds with <paramref name="remaining"/> TTL (as of <paramref name="started"/>) into the
    /// local level, unless something that covers the key changed since <paramref name="snapshot"/>.
    /// </summary>
    private void Fill<T>(in CacheKey key, T? value, TimeSpan remaining, long started, int stripe, LocalGenerations.Snapshot snapshot)
    {
        var lifetime = LocalLifetime(remaining, started);
        if (lifetime <= TimeSpan.Zero || !_serving || !_generations.Unchanged(stripe, snapshot))
        {
            return;
        }

        Local.Set(key, value, lifetime);
        if (!_generations.Unchanged(stripe, snapshot))
        {
            // An invalidation passed while the value went in: it may have missed it, so it goes.
            Local.Delete(key);
        }
    }

    /// <summary>How long a value may live locally: its server TTL less the time since the request left, at most <see cref="CacheConfig.LocalMaxLifetime"/>.</summary>
    private TimeSpan LocalLifetime(TimeSpan serverTtl, long started)
    {
        if (serverTtl == Timeout.InfiniteTimeSpan)
        {
            return _maxLifetime;
        }

        var left = serverTtl - _time.GetElapsedTime(started);
        return left < _maxLifetime ? left : _maxLifetime;
    }

    /// <summary>Whether the tier below is handling no failure now.</summary>
    private bool RecoveryHealthy() => _health is null || _health.IsHealthy;

    /// <summary>The key of a running server read: the same key read as two types is two reads.</summary>
    private readonly record struct ReadFlightKey(CacheKey Key, Type ValueType);
}
