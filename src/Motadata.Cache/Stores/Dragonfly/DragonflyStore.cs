using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Motadata.Cache.Keys;
using Motadata.Cache.Serialization;
using Motadata.Cache.Stats;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Dragonfly;

/// <summary>
/// The Dragonfly backend (any Redis-protocol server: Dragonfly, Redis 7, Valkey) over one StackExchange.Redis
/// multiplexer shared by every call. Get, Set and Delete are one round trip each (<c>GET</c>, <c>SET</c> with expiry,
/// <c>DEL</c>); batch reads are one <c>MGET</c>; warming pipelines <c>SET</c>s in batches; invalidation walks
/// <c>SCAN MATCH</c> to the end and pipelines one <c>UNLINK</c> per page. Synchronous methods use the client's
/// synchronous API, asynchronous ones its asynchronous API.
/// </summary>
/// <remarks>
/// Every client failure (connection, timeout, server error, disposed client) becomes a
/// <see cref="CacheBackendException"/> naming the endpoint and the command, and counts as a backend failure; the
/// recovery decorator, when enabled, turns those into misses. A stored value that cannot be read back (see
/// <see cref="PayloadCodec"/>) is a miss, counted, logged and removed from the server, never an exception.
/// <para>
/// This class is the single-key path. Its parts, one job each: <see cref="DragonflyConnection"/> (the multiplexer and
/// what counts as a server failure), <see cref="DragonflyKeys"/> (where a tenant's key lives),
/// <see cref="DragonflyValues"/> (encoding, the one decode, unreadable and oversized values),
/// <see cref="DragonflyScanner"/> (invalidate, clear, usage) and <see cref="DragonflyBulkWriter"/> (warming).
/// </para>
/// </remarks>
internal sealed class DragonflyStore : ICacheStore
{
    /// <summary>
    /// The longest TTL sent; longer ones are clamped to it. Dragonfly refuses <c>SET ... PX</c> at or past its expiry
    /// limit, which is 2^28 - 1 seconds (8.5 years) today and was 2^27 - 1 (4.25 years) in older releases.
    /// </summary>
    internal static readonly TimeSpan MaxTtl = TimeSpan.FromDays(1500);

    private readonly DragonflyConnection _connection;
    private readonly DragonflyKeys _keys;
    private readonly DragonflyValues _values;
    private readonly DragonflyScanner _scanner;
    private readonly DragonflyBulkWriter _writer;

    public DragonflyStore(CacheConfig config, CacheStatistics statistics)
    {
        _connection = new DragonflyConnection(config, statistics);
        _keys = new DragonflyKeys(config.KeyPrefix, _connection.Database);
        _values = new DragonflyValues(config, _connection, _keys, statistics);
        _scanner = new DragonflyScanner(_connection);
        _writer = new DragonflyBulkWriter(_connection, _keys, _values);
    }

    public string Name => "dragonfly";

    /// <summary>The endpoints, for messages (no password).</summary>
    public string Endpoint => _connection.Endpoint;

    /// <summary>The key layout, for tests and tools.</summary>
    internal DragonflyKeys Keys => _keys;

    public bool TryGet<T>(in CacheKey key, [MaybeNullWhen(false)] out T value)
    {
        var database = _keys.For(key.TenantId);
        Lease<byte>? lease;
        try
        {
            lease = database.StringGetLease(key.Key);
        }
        catch (RedisServerException exception) when (DragonflyConnection.IsWrongType(exception))
        {
            _values.RemoveCorrupt(database, key, DragonflyValues.WrongType);
            value = default;
            return false;
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("GET", exception);
        }

        if (_values.TryDecode(lease, out T? found, out var problem))
        {
            value = found!;
            return true;
        }

        if (problem is not null)
        {
            _values.RemoveCorrupt(database, key, problem);
        }

        value = default;
        return false;
    }

    public ValueTask<CacheLookup<T>> TryGetAsync<T>(CacheKey key, CancellationToken cancellationToken)
    {
        var database = _keys.For(key.TenantId);
        return AwaitGetAsync<T>(StartGet(database, key), database, key, cancellationToken);
    }

    public ValueTask<T?> GetAsync<T>(CacheKey key, T? defaultValue, TenantCounters counters, IGetFailureHandler? onFailure, CancellationToken cancellationToken)
    {
        var database = _keys.For(key.TenantId);
        return AwaitGetValueAsync(StartGet(database, key), database, key, defaultValue, counters, onFailure, cancellationToken);
    }

    public async ValueTask<CacheLookup<T>[]> TryGetManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var database = _keys.For(tenantId);
        var serverKeys = new RedisKey[keys.Count];
        for (var i = 0; i < serverKeys.Length; i++)
        {
            serverKeys[i] = keys[i];
        }

        RedisValue[] stored;
        try
        {
            stored = await DragonflyConnection.WaitAsync(database.StringGetAsync(serverKeys), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("MGET", exception);
        }

        var results = new CacheLookup<T>[stored.Length];
        List<RedisKey>? corrupt = null;
        for (var i = 0; i < stored.Length; i++)
        {
            if (_values.TryDecode(stored[i].IsNull ? null : (ReadOnlyMemory<byte>?)(ReadOnlyMemory<byte>)stored[i], out T? value, out var problem))
            {
                results[i] = new CacheLookup<T>(true, value);
            }
            else if (problem is not null)
            {
                _values.RecordCorrupt(new CacheKey(tenantId, keys[i]), problem);
                (corrupt ??= []).Add(serverKeys[i]);
            }
        }

        if (corrupt is not null)
        {
            try
            {
                await database.KeyDeleteAsync([.. corrupt]).ConfigureAwait(false);
            }
            catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
            {
                _values.CleanupFailed(exception);
            }
        }

        return results;
    }

    public bool Set<T>(in CacheKey key, T value, TimeSpan ttl)
    {
        if (!TryEncode(key, value, out var payload))
        {
            return false;
        }

        try
        {
            _keys.For(key.TenantId).StringSet(key.Key, payload.Memory, Expiry(ttl), When.Always, CommandFlags.None);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SET", exception);
        }

        // Acknowledged, so the client is done with the bytes.
        payload.Return();
        return true;
    }

    public ValueTask<bool> SetAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (!TryEncode(key, value, out var payload))
        {
            return new ValueTask<bool>(false);
        }

        Task<bool> pending;
        try
        {
            pending = _keys.For(key.TenantId).StringSetAsync(key.Key, payload.Memory, Expiry(ttl), When.Always, CommandFlags.None);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SET", exception);
        }

        return AwaitSetAsync(pending, payload, cancellationToken);
    }

    public bool Delete(in CacheKey key)
    {
        try
        {
            return _keys.For(key.TenantId).KeyDelete(key.Key);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("DEL", exception);
        }
    }

    public async ValueTask<bool> DeleteAsync(CacheKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await DragonflyConnection.WaitAsync(_keys.For(key.TenantId).KeyDeleteAsync(key.Key), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("DEL", exception);
        }
    }

    public long Invalidate(string? tenantId, GlobPattern pattern) =>
        pattern.ExactKey is { } exactKey
            ? Delete(new CacheKey(tenantId, exactKey)) ? 1 : 0
            : _scanner.Unlink(_keys.Matching(tenantId, pattern));

    public async ValueTask<long> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        pattern.ExactKey is { } exactKey
            ? await DeleteAsync(new CacheKey(tenantId, exactKey), cancellationToken).ConfigureAwait(false) ? 1 : 0
            : await _scanner.UnlinkAsync(_keys.Matching(tenantId, pattern), cancellationToken).ConfigureAwait(false);

    public long Clear(string? tenantId) => _scanner.Unlink(_keys.Owned(tenantId));

    public ValueTask<long> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        _scanner.UnlinkAsync(_keys.Owned(tenantId), cancellationToken);

    public long SetMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl) =>
        _writer.SetMany(tenantId, entries, ttl);

    public ValueTask<long> SetManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken) =>
        _writer.SetManyAsync(tenantId, entries, ttl, cancellationToken);

    public StoreUsage GetUsage(string? tenantId) => _scanner.Usage(_keys.Owned(tenantId));

    public ValueTask<StoreUsage> GetUsageAsync(string? tenantId, CancellationToken cancellationToken) =>
        _scanner.UsageAsync(_keys.Owned(tenantId), cancellationToken);

    public void Dispose() => _connection.Dispose();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>The expiry to send: whole milliseconds rounded up (at least 1), none for <see cref="Timeout.InfiniteTimeSpan"/>, at most <see cref="MaxTtl"/>.</summary>
    internal static TimeSpan? Expiry(TimeSpan ttl)
    {
        if (ttl == Timeout.InfiniteTimeSpan)
        {
            return null;
        }

        if (ttl >= MaxTtl)
        {
            return MaxTtl;
        }

        var milliseconds = Math.Max(1, (ttl.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
        return TimeSpan.FromTicks(milliseconds * TimeSpan.TicksPerMillisecond);
    }

    private Task<Lease<byte>?> StartGet(IDatabase database, CacheKey key)
    {
        try
        {
            return database.StringGetLeaseAsync(key.Key);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("GET", exception);
        }
    }

    /// <summary>Encodes a value for one key, or counts and logs its refusal for size.</summary>
    private bool TryEncode<T>(in CacheKey key, T value, out PooledPayload payload)
    {
        if (_values.TryEncode(value, out payload, out var valueBytes))
        {
            return true;
        }

        _values.CountRejected(key.TenantId);
        _values.LogRejected(key.TenantId, key.Key, valueBytes);
        return false;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CacheLookup<T>> AwaitGetAsync<T>(Task<Lease<byte>?> pending, IDatabase database, CacheKey key, CancellationToken cancellationToken)
    {
        Lease<byte>? lease;
        try
        {
            lease = await DragonflyConnection.WaitAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException exception) when (DragonflyConnection.IsWrongType(exception))
        {
            await _values.RemoveCorruptAsync(database, key, DragonflyValues.WrongType).ConfigureAwait(false);
            return default;
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("GET", exception);
        }

        if (_values.TryDecode(lease, out T? value, out var problem))
        {
            return new CacheLookup<T>(true, value);
        }

        if (problem is not null)
        {
            await _values.RemoveCorruptAsync(database, key, problem).ConfigureAwait(false);
        }

        return default;
    }

    /// <summary>
    /// <see cref="AwaitGetAsync"/> and the facade's counting in one pooled state machine: the only continuation of a
    /// <c>GetAsync</c> decodes straight from the client's leased buffer, counts, and returns; a backend failure goes
    /// to <paramref name="onFailure"/> (the recovery decorator) when there is one.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<T?> AwaitGetValueAsync<T>(
        Task<Lease<byte>?> pending, IDatabase database, CacheKey key, T? defaultValue, TenantCounters counters, IGetFailureHandler? onFailure, CancellationToken cancellationToken)
    {
        Lease<byte>? lease;
        try
        {
            lease = await DragonflyConnection.WaitAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException exception) when (DragonflyConnection.IsWrongType(exception))
        {
            await _values.RemoveCorruptAsync(database, key, DragonflyValues.WrongType).ConfigureAwait(false);
            counters.Misses.Increment();
            return defaultValue;
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            var failure = _connection.Failure("GET", exception);
            if (onFailure is null)
            {
                throw failure;
            }

            return onFailure.OnGetFailed<T>(key, failure).Count(counters, defaultValue);
        }

        if (_values.TryDecode(lease, out T? value, out var problem))
        {
            counters.Hits.Increment();
            return value;
        }

        if (problem is not null)
        {
            await _values.RemoveCorruptAsync(database, key, problem).ConfigureAwait(false);
        }

        counters.Misses.Increment();
        return defaultValue;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> AwaitSetAsync(Task<bool> pending, PooledPayload payload, CancellationToken cancellationToken)
    {
        try
        {
            await DragonflyConnection.WaitAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SET", exception);
        }

        payload.Return();
        return true;
    }
}
