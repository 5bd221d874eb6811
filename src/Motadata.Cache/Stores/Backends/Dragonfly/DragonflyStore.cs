using System.Runtime.CompilerServices;
using Motadata.Cache.Keys;
using Motadata.Cache.Serialization;
using Motadata.Cache.Stats;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Backends.Dragonfly;

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
/// recovery decorator, when enabled, turns those into misses. Failures are returned inside the outcomes
/// (<see cref="ICacheStore"/>), never thrown. A stored value that cannot be read back (see
/// <see cref="PayloadCodec"/>) is a miss, counted, logged and removed from the server, never an exception.
/// <para>
/// This class is the single-key path. Its parts, one job each: <see cref="DragonflyConnection"/> (the multiplexer and
/// what counts as a server failure), <see cref="DragonflyKeys"/> (where a tenant's key lives),
/// <see cref="DragonflyValues"/> (encoding, the one decode, unreadable and oversized values),
/// <see cref="DragonflyScanner"/> (invalidate, clear, usage), <see cref="DragonflyBulkWriter"/> (warming) and
/// <see cref="DragonflyReadBatcher"/> (asynchronous reads that arrive together go as one <c>MGET</c>).
/// </para>
/// </remarks>
internal sealed class DragonflyStore : ICacheStore, IStoreProbe
{
    // Read to learn whether a server answers (IStoreProbe) with nothing else to ask it; never written, so it never exists.
    private static readonly CacheKey ProbeKey = new(null, "\0motadata-cache:probe");

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
    private readonly DragonflyReadBatcher? _batcher;
    private readonly bool _ownsConnection = true;
    private readonly IServer? _node;

    /// <param name="config">The settings.</param>
    /// <param name="statistics">Where counts go.</param>
    /// <param name="endpoint">The server(s); null for <see cref="CacheConfig.DragonflyUrl"/> (a shard passes its one node).</param>
    public DragonflyStore(CacheConfig config, CacheCounters statistics, Configuration.DragonflyEndpoint? endpoint = null)
    {
        _connection = new DragonflyConnection(config, statistics, endpoint);
        _keys = new DragonflyKeys(config.KeyPrefix, config.TenantPlacement, _connection.Database);
        _values = new DragonflyValues(config, _connection, _keys, statistics);
        _scanner = new DragonflyScanner(_connection);
        _writer = new DragonflyBulkWriter(_connection, _keys, _values);
        if (config.ReadBatching is { IsOn: true } batching)
        {
            if (!_connection.IsCluster())
            {
                _batcher = new DragonflyReadBatcher(_connection.Database, batching.MaxKeys, _connection.IsClusterOnceConnected, config.TimeProvider ?? TimeProvider.System);
            }
            else if (endpoint is null)
            {
                // One MGET must stay in one slot: on a cluster every read goes alone. Said once, not silently.
                _connection.LogReadBatchingOffOnCluster();
            }
        }
    }

    // A view of a cluster store whose walks cover one primary (see OnlyOn); shares everything else.
    private DragonflyStore(DragonflyStore cluster, IServer node)
    {
        _connection = cluster._connection;
        _keys = cluster._keys;
        _values = cluster._values;
        _writer = cluster._writer;
        _scanner = new DragonflyScanner(_connection, node);
        _batcher = cluster._batcher;
        _ownsConnection = false;
        _node = node;
    }

    public string Name => "dragonfly";

    /// <summary>The endpoints, for messages (no password).</summary>
    public string Endpoint => _connection.Endpoint;

    /// <summary>The key layout, for tests and tools.</summary>
    internal DragonflyKeys Keys => _keys;

    /// <summary>The connection, for the sharded store and tests.</summary>
    internal DragonflyConnection Connection => _connection;

    /// <summary>What batches the asynchronous reads (<see cref="CacheConfig.EnableReadBatching"/>); null when off or on a cluster.</summary>
    internal DragonflyReadBatcher? ReadBatcher => _batcher;

    public ReadOutcome<T> Read<T>(in CacheKey key)
    {
        var database = _keys.NamespaceDatabase(key.TenantId);
        Lease<byte>? lease = null;
        Exception? failure = null;
        try
        {
            lease = database.StringGetLease(key.Key);
        }
        catch (Exception exception) when (DragonflyValues.IsAnswer(exception))
        {
            failure = exception;
        }

        var outcome = _values.Outcome<T>(lease, failure, out var unreadable);
        if (unreadable is not null)
        {
            _values.RemoveCorrupt(database, key, unreadable);
        }

        return outcome;
    }

    public ValueTask<ReadOutcome<T>> ReadAsync<T>(CacheKey key, CancellationToken cancellationToken) =>
        ReadAsync<T, ReadOutcome<T>, ReadOutcomeAsIs<T>>(key, default, cancellationToken);

    public ValueTask<TResult> ReadAsync<T, TResult, TProjection>(CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult>
    {
        if (_batcher is { } batcher)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<TResult>(cancellationToken);
            }

            var read = new ProjectedBatchedRead<T, TResult, TProjection>(this, key, projection);
            var answer = read.Start(cancellationToken);
            batcher.Enqueue(_keys.ServerRedisKey(key.TenantId, key.Key), read);
            return answer;
        }

        var database = _keys.NamespaceDatabase(key.TenantId);
        Task<Lease<byte>?> pending;
        try
        {
            pending = database.StringGetLeaseAsync(key.Key);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return new(projection.Project(_values.Outcome<T>(default(Lease<byte>), exception, out _)));
        }

        return AwaitReadAsync<T, TResult, TProjection>(pending, database, key, projection, cancellationToken);
    }

    public async ValueTask<StoreOutcome<ReadOutcome<T>[]>> ReadManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var database = _keys.NamespaceDatabase(tenantId);
        var serverKeys = new RedisKey[keys.Count];
        for (var i = 0; i < serverKeys.Length; i++)
        {
            serverKeys[i] = keys[i];
        }

        RedisValue[] stored;
        try
        {
            stored = _keys.Placement == TenantPlacement.Spread && keys.Count > 1 && _connection.IsCluster()
                ? await ReadBySlotAsync(tenantId, database, serverKeys, cancellationToken).ConfigureAwait(false)
                : await DragonflyConnection.WaitAsync(database.StringGetAsync(serverKeys), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return StoreOutcome<ReadOutcome<T>[]>.Failed(_connection.Failure("MGET", exception));
        }

        var results = new ReadOutcome<T>[stored.Length];
        List<RedisKey>? corrupt = null;
        for (var i = 0; i < stored.Length; i++)
        {
            results[i] = _values.Outcome<T>(stored[i], null, out var problem);
            if (problem is not null)
            {
                _values.RecordCorrupt(new CacheKey(tenantId, keys[i]), problem);
                (corrupt ??= []).Add(serverKeys[i]);
            }
        }

        if (corrupt is not null)
        {
            try
            {
                var deletes = new List<Task>();
                foreach (var key in corrupt)
                {
                    deletes.Add(database.KeyDeleteAsync(key));
                }

                await Task.WhenAll(deletes).ConfigureAwait(false);
            }
            catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
            {
                _values.CleanupFailed(exception);
            }
        }

        return results;
    }

    /// <summary>
    /// A batch read on a cluster, where one <c>MGET</c> must name keys of one slot: one <c>MGET</c> per slot, all sent
    /// at once (the client routes each to its slot's primary), the values put back in the order asked.
    /// </summary>
    private async Task<RedisValue[]> ReadBySlotAsync(string? tenantId, IDatabase database, RedisKey[] keys, CancellationToken cancellationToken)
    {
        var prefix = DragonflyKeys.NamespacePrefix(_keys.KeyPrefix, tenantId, _keys.Placement);
        var multiplexer = _connection.Multiplexer;
        var slots = new Dictionary<int, List<int>>();
        for (var i = 0; i < keys.Length; i++)
        {
            var slot = multiplexer.HashSlot(prefix + (string)keys[i]!);
            if (!slots.TryGetValue(slot, out var positions))
            {
                slots.Add(slot, positions = []);
            }

            positions.Add(i);
        }

        var reads = new List<(List<int> Positions, Task<RedisValue[]> Values)>(slots.Count);
        foreach (var positions in slots.Values)
        {
            var group = new RedisKey[positions.Count];
            for (var i = 0; i < group.Length; i++)
            {
                group[i] = keys[positions[i]];
            }

            reads.Add((positions, database.StringGetAsync(group)));
        }

        await DragonflyConnection.WaitAsync(Task.WhenAll(reads.Select(static read => read.Values)), cancellationToken).ConfigureAwait(false);
        var values = new RedisValue[keys.Length];
        foreach (var (positions, pending) in reads)
        {
            var group = await pending.ConfigureAwait(false);
            for (var i = 0; i < positions.Count; i++)
            {
                values[positions[i]] = group[i];
            }
        }

        return values;
    }

    /// <summary>
    /// <c>GET</c> and <c>PTTL</c> of one key in one batch (one round trip, one slot on a cluster), the value by the one
    /// read rule. The TTL is the server's answer to <c>PTTL</c>, sent right after the <c>GET</c>: a write landing
    /// between the two can pair an old value with a new TTL; the local level guards against that with its generations.
    /// </summary>
    public ReadOutcome<TimedValue<T>> ReadWithTtl<T>(in CacheKey key)
    {
        var database = _keys.NamespaceDatabase(key.TenantId);
        if (!TrySendReadWithTtl(database, key, out var value, out var ttl, out ReadOutcome<TimedValue<T>> failed))
        {
            return failed;
        }

        try
        {
            Task.WhenAll(value, ttl).Wait();
        }
        catch (Exception exception) when (DragonflyValues.IsAnswer(exception))
        {
            // Looked at per command below (the value may have failed alone, as WRONGTYPE).
        }

        var outcome = TimedOutcome<T>(value, ttl, out var unreadable);
        if (unreadable is not null)
        {
            _values.RemoveCorrupt(database, key, unreadable);
        }

        return outcome;
    }

    /// <inheritdoc cref="ReadWithTtl{T}"/>
    public async ValueTask<ReadOutcome<TimedValue<T>>> ReadWithTtlAsync<T>(CacheKey key, CancellationToken cancellationToken)
    {
        var database = _keys.NamespaceDatabase(key.TenantId);
        if (!TrySendReadWithTtl(database, key, out var value, out var ttl, out ReadOutcome<TimedValue<T>> failed))
        {
            return failed;
        }

        try
        {
            await DragonflyConnection.WaitAsync(Task.WhenAll(value, ttl), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (DragonflyValues.IsAnswer(exception))
        {
            // Looked at per command below.
        }

        var outcome = TimedOutcome<T>(value, ttl, out var unreadable);
        if (unreadable is not null)
        {
            await _values.RemoveCorruptAsync(database, key, unreadable).ConfigureAwait(false);
        }

        return outcome;
    }

    /// <summary>
    /// Sends <c>GET</c> and <c>PTTL</c> of <paramref name="key"/> as one batch; false, with the failed outcome, when the
    /// client could not send them (the server is unreachable).
    /// </summary>
    private bool TrySendReadWithTtl<T>(IDatabase database, in CacheKey key, out Task<Lease<byte>?> value, out Task<RedisResult> ttl, out ReadOutcome<TimedValue<T>> failed)
    {
        try
        {
            var batch = database.CreateBatch();
            value = batch.StringGetLeaseAsync(key.Key);

            // PTTL, not KeyTimeToLive: its answer tells "no TTL" (-1) from "no key" (-2). The key-prefixed database
            // prefixes the key argument as it does the GET's.
            ttl = batch.ExecuteAsync("PTTL", (RedisKey)key.Key);
            batch.Execute();
            failed = default;
            return true;
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            value = null!;
            ttl = null!;
            failed = ReadOutcome<TimedValue<T>>.Failed(_connection.Failure("GET", exception));
            return false;
        }
    }

    /// <summary>Both commands have completed: the value by the one read rule, with the TTL when <c>PTTL</c> answered one.</summary>
    private ReadOutcome<TimedValue<T>> TimedOutcome<T>(Task<Lease<byte>?> value, Task<RedisResult> ttl, out string? unreadable)
    {
        var outcome = value.IsCompletedSuccessfully
            ? _values.Outcome<T>(value.Result, null, out unreadable)
            : _values.Outcome<T>(default(Lease<byte>), FailureOf(value), out unreadable);
        if (!outcome.Found)
        {
            return outcome.Failure is { } failure ? ReadOutcome<TimedValue<T>>.Failed(failure) : ReadOutcome<TimedValue<T>>.Miss;
        }

        TimeSpan? remaining = ttl.IsCompletedSuccessfully
            ? (long)ttl.Result switch
            {
                -1 => Timeout.InfiniteTimeSpan,
                < 0 => null,
                var milliseconds => TimeSpan.FromMilliseconds(milliseconds),
            }
            : null;
        return ReadOutcome<TimedValue<T>>.Hit(new TimedValue<T>(outcome.Value, remaining));
    }

    private static Exception FailureOf(Task task) =>
        task.Exception is { InnerExceptions: [var single] } ? single : task.Exception ?? (Exception)new TaskCanceledException(task);

    public WriteOutcome Write<T>(in CacheKey key, T value, TimeSpan ttl)
    {
        if (!TryEncode(key, value, out var payload))
        {
            return WriteOutcome.TooLarge;
        }

        try
        {
            _keys.NamespaceDatabase(key.TenantId).StringSet(key.Key, payload.Memory, Expiry(ttl), When.Always, CommandFlags.None);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return WriteOutcome.Unavailable(_connection.Failure("SET", exception));
        }

        // Acknowledged, so the client is done with the bytes.
        payload.Return();
        return WriteOutcome.Stored;
    }

    public ValueTask<WriteOutcome> WriteAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (!TryEncode(key, value, out var payload))
        {
            return new(WriteOutcome.TooLarge);
        }

        Task<bool> pending;
        try
        {
            pending = _keys.NamespaceDatabase(key.TenantId).StringSetAsync(key.Key, payload.Memory, Expiry(ttl), When.Always, CommandFlags.None);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return new(WriteOutcome.Unavailable(_connection.Failure("SET", exception)));
        }

        return AwaitWriteAsync(pending, payload, cancellationToken);
    }

    // No compare-and-extend here yet (it would be a script comparing the bytes before PEXPIRE): the entry is stored
    // again, so a Remove or Set landing between the read and this call is undone. See docs/integrations.md.
    public StoreOutcome<bool> Extend(in CacheKey key, byte[] expected, TimeSpan ttl)
    {
        var written = Write(key, expected, ttl);
        return written.Failure is { } failure ? StoreOutcome<bool>.Failed(failure) : written.IsStored;
    }

    public async ValueTask<StoreOutcome<bool>> ExtendAsync(CacheKey key, byte[] expected, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var written = await WriteAsync(key, expected, ttl, cancellationToken).ConfigureAwait(false);
        return written.Failure is { } failure ? StoreOutcome<bool>.Failed(failure) : written.IsStored;
    }

    public StoreOutcome<bool> Delete(in CacheKey key)
    {
        try
        {
            return _keys.NamespaceDatabase(key.TenantId).KeyDelete(key.Key);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return StoreOutcome<bool>.Failed(_connection.Failure("DEL", exception));
        }
    }

    public async ValueTask<StoreOutcome<bool>> DeleteAsync(CacheKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await DragonflyConnection.WaitAsync(_keys.NamespaceDatabase(key.TenantId).KeyDeleteAsync(key.Key), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return StoreOutcome<bool>.Failed(_connection.Failure("DEL", exception));
        }
    }

    public StoreOutcome<long> Invalidate(string? tenantId, GlobPattern pattern)
    {
        if (pattern.ExactKey is { } exactKey)
        {
            var deleted = Delete(new CacheKey(tenantId, exactKey));
            return deleted.Failure is { } failure ? StoreOutcome<long>.Failed(failure) : deleted.Result ? 1 : 0;
        }

        return Scan(static (scanner, selection) => scanner.Unlink(selection), _keys.Matching(tenantId, pattern));
    }

    public async ValueTask<StoreOutcome<long>> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken)
    {
        if (pattern.ExactKey is { } exactKey)
        {
            var deleted = await DeleteAsync(new CacheKey(tenantId, exactKey), cancellationToken).ConfigureAwait(false);
            return deleted.Failure is { } failure ? StoreOutcome<long>.Failed(failure) : deleted.Result ? 1 : 0;
        }

        return await ScanAsync(static (scanner, selection, token) => scanner.UnlinkAsync(selection, token), _keys.Matching(tenantId, pattern), cancellationToken).ConfigureAwait(false);
    }

    public StoreOutcome<long> Clear(string? tenantId) =>
        Scan(static (scanner, selection) => scanner.Unlink(selection), _keys.Owned(tenantId));

    public ValueTask<StoreOutcome<long>> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        ScanAsync(static (scanner, selection, token) => scanner.UnlinkAsync(selection, token), _keys.Owned(tenantId), cancellationToken);

    public StoreOutcome<long> WriteMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl)
    {
        try
        {
            return _writer.SetMany(tenantId, entries, ttl);
        }
        catch (CacheBackendException failure)
        {
            return StoreOutcome<long>.Failed(failure);
        }
    }

    public async ValueTask<StoreOutcome<long>> WriteManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken)
    {
        try
        {
            return await _writer.SetManyAsync(tenantId, entries, ttl, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheBackendException failure)
        {
            return StoreOutcome<long>.Failed(failure);
        }
    }

    public StoreOutcome<StoreUsage> GetUsage(string? tenantId) =>
        Scan(static (scanner, selection) => scanner.Usage(selection), _keys.Owned(tenantId));

    public ValueTask<StoreOutcome<StoreUsage>> GetUsageAsync(string? tenantId, CancellationToken cancellationToken) =>
        ScanAsync(static (scanner, selection, token) => scanner.UsageAsync(selection, token), _keys.Owned(tenantId), cancellationToken);

    /// <summary>
    /// The usage of <paramref name="tenants"/> (and of the global namespace, under the empty string) in one walk of the
    /// keyspace, bytes estimated from a sample (see <see cref="DragonflyScanner.UsageByTenantAsync"/>).
    /// </summary>
    internal ValueTask<Dictionary<string, StoreUsage>> GetUsageByTenantAsync(IReadOnlySet<string> tenants, int sampledKeysPerTenant, CancellationToken cancellationToken) =>
        _scanner.UsageByTenantAsync(_keys.KeyPrefix, _keys.Placement, tenants, sampledKeysPerTenant, cancellationToken);

    /// <summary>
    /// The same store whose invalidations, clears and usage walk only <paramref name="node"/>, once (single-key calls
    /// are routed by the client as always). For a cluster primary under its own recovery; disposing it leaves the
    /// connection open.
    /// </summary>
    internal DragonflyStore OnlyOn(IServer node) => new(this, node);

    /// <inheritdoc />
    public async ValueTask<ReadOutcome<byte[]>> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_node is { } node)
            {
                await DragonflyConnection.WaitAsync(node.PingAsync(), cancellationToken).ConfigureAwait(false);
                return ReadOutcome<byte[]>.Miss;
            }
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return ReadOutcome<byte[]>.Failed(_connection.Failure("PING", exception));
        }

        return await ReadAsync<byte[]>(ProbeKey, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_ownsConnection)
        {
            _batcher?.Dispose();
            _connection.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_ownsConnection)
        {
            return default;
        }

        _batcher?.Dispose();
        return _connection.DisposeAsync();
    }

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

    /// <summary>Runs one scanner walk; a backend failure (the scanner throws it) becomes the outcome's.</summary>
    private StoreOutcome<TResult> Scan<TResult>(Func<DragonflyScanner, ScanSelection, TResult> walk, ScanSelection selection)
    {
        try
        {
            return walk(_scanner, selection);
        }
        catch (CacheBackendException failure)
        {
            return StoreOutcome<TResult>.Failed(failure);
        }
    }

    /// <inheritdoc cref="Scan"/>
    private async ValueTask<StoreOutcome<TResult>> ScanAsync<TResult>(Func<DragonflyScanner, ScanSelection, CancellationToken, ValueTask<TResult>> walk, ScanSelection selection, CancellationToken cancellationToken)
    {
        try
        {
            return await walk(_scanner, selection, cancellationToken).ConfigureAwait(false);
        }
        catch (CacheBackendException failure)
        {
            return StoreOutcome<TResult>.Failed(failure);
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

    /// <summary>The read's one continuation: waits for the server, decodes, and hands the outcome to the projection.</summary>
    /// <remarks>
    /// Not pooled (<c>PoolingAsyncValueTaskMethodBuilder</c>), on purpose: for a reference-type value the method is
    /// shared code over the nested projection type the facade and recovery build
    /// (<c>RecoveringProjection&lt;T, TResult, CountingProjection&lt;T&gt;&gt;</c>), and the pool's per-type caches are
    /// then reached through the runtime's slow generic lookup on every read: 64 callers read 0.65-0.70x raw
    /// StackExchange.Redis with the pool and about as fast as raw without it, for one state-machine box (about 150 B)
    /// per read that is not already complete.
    /// </remarks>
    private async ValueTask<TResult> AwaitReadAsync<T, TResult, TProjection>(Task<Lease<byte>?> pending, IDatabase database, CacheKey key, TProjection projection, CancellationToken cancellationToken)
        where TProjection : struct, IReadProjection<T, TResult>
    {
        // Shaped so that no local lives across an await: the state machine box stays as small as it was.
        ReadOutcome<T> outcome;
        string? unreadable;
        try
        {
            var lease = await DragonflyConnection.WaitAsync(pending, cancellationToken).ConfigureAwait(false);
            outcome = _values.Outcome<T>(lease, null, out unreadable);
        }
        catch (Exception exception) when (DragonflyValues.IsAnswer(exception))
        {
            outcome = _values.Outcome<T>(default(Lease<byte>), exception, out unreadable);
        }

        if (unreadable is not null)
        {
            await _values.RemoveCorruptAsync(database, key, unreadable).ConfigureAwait(false);
            return projection.Project(ReadOutcome<T>.Miss);
        }

        return projection.Project(outcome);
    }

    /// <summary>
    /// What a batched read's answer (<see cref="DragonflyReadBatcher"/>) comes to, by the one read rule
    /// (<see cref="DragonflyValues.Outcome{T}(ReadOnlyMemory{byte}?, Exception?, out string?)"/>); an unreadable value
    /// is removed by the caller (<see cref="RemoveUnreadableAsync"/>) before it answers.
    /// </summary>
    internal ReadOutcome<T> BatchedOutcome<T>(in RedisValue value, Exception? failure, out string? unreadable) =>
        _values.Outcome<T>(value, failure, out unreadable);

    /// <summary>Removes a value a batched read could not read (see <see cref="BatchedOutcome{T}"/>), counted and logged.</summary>
    internal ValueTask RemoveUnreadableAsync(CacheKey key, string problem) =>
        _values.RemoveCorruptAsync(_keys.NamespaceDatabase(key.TenantId), key, problem);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<WriteOutcome> AwaitWriteAsync(Task<bool> pending, PooledPayload payload, CancellationToken cancellationToken)
    {
        try
        {
            await DragonflyConnection.WaitAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            return WriteOutcome.Unavailable(_connection.Failure("SET", exception));
        }

        payload.Return();
        return WriteOutcome.Stored;
    }
}
