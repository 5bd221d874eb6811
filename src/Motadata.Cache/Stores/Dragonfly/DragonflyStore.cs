using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Motadata.Cache.Configuration;
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
/// </remarks>
internal sealed partial class DragonflyStore : ICacheStore
{
    /// <summary>
    /// The longest TTL sent; longer ones are clamped to it. Dragonfly refuses <c>SET ... PX</c> at or past its expiry
    /// limit, which is 2^28 - 1 seconds (8.5 years) today and was 2^27 - 1 (4.25 years) in older releases.
    /// </summary>
    internal static readonly TimeSpan MaxTtl = TimeSpan.FromDays(1500);

    private const int ScanPageSize = 4096;
    private const string WrongTypeProblem = "the key holds a list, hash, set or other non-string value";
    private const int WriteBatchSize = 1000;
    private const int WriteWindowBatches = 8;

    private readonly ConnectionMultiplexer _multiplexer;
    private readonly IDatabase _database;
    private readonly DragonflyKeys _keys;
    private readonly CacheStatistics _statistics;
    private readonly ICacheSerializer _serializer;
    private readonly bool _withChecksum;
    private readonly byte[]? _signingKey;
    private readonly int _maxValueBytes;
    private readonly string _endpoint;
    private readonly string? _password;
    private readonly ILogger _logger;

    public DragonflyStore(CacheConfig config, CacheStatistics statistics)
    {
        var endpoint = DragonflyEndpoint.Parse(config.DragonflyUrl!);
        _endpoint = endpoint.Describe();
        _password = endpoint.Password;
        _statistics = statistics;
        _serializer = config.Serializer ?? SystemTextJsonCacheSerializer.Default;
        _withChecksum = config.EnableValidation;
        _signingKey = config.SigningKey;
        _maxValueBytes = config.MaxValueBytes;
        _logger = (config.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<DragonflyStore>();
        try
        {
            // AbortOnConnectFail is off: with the server down this returns, and the client keeps reconnecting.
            _multiplexer = ConnectionMultiplexer.Connect(endpoint.ToConfigurationOptions(config.ConnectTimeout, config.OperationTimeout));
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("connect", exception);
        }

        _database = _multiplexer.GetDatabase();
        _keys = new DragonflyKeys(config.KeyPrefix, _database);
    }

    public string Name => "dragonfly";

    /// <summary>The endpoints, for messages (no password).</summary>
    public string Endpoint => _endpoint;

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
        catch (RedisServerException exception) when (IsWrongType(exception))
        {
            RemoveCorrupt(database, key, WrongTypeProblem);
            value = default;
            return false;
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("GET", exception);
        }

        if (lease is null)
        {
            value = default;
            return false;
        }

        PayloadStatus status;
        T? found;
        string? problem;
        using (lease)
        {
            status = PayloadCodec.Decode(lease.Memory, _serializer, out found, out problem, _signingKey);
        }

        if (status == PayloadStatus.Found)
        {
            // A cached null is a hit for a T that can hold null, as on the memory backend.
            value = found!;
            return true;
        }

        if (status == PayloadStatus.Corrupt)
        {
            RemoveCorrupt(database, key, problem!);
        }

        value = default;
        return false;
    }

    public ValueTask<CacheLookup<T>> TryGetAsync<T>(CacheKey key, CancellationToken cancellationToken)
    {
        var database = _keys.For(key.TenantId);
        Task<Lease<byte>?> pending;
        try
        {
            pending = database.StringGetLeaseAsync(key.Key);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("GET", exception);
        }

        return AwaitGetAsync<T>(pending, database, key, cancellationToken);
    }

    public ValueTask<T?> GetAsync<T>(CacheKey key, T? defaultValue, TenantCounters counters, IGetFailureHandler? onFailure, CancellationToken cancellationToken)
    {
        var database = _keys.For(key.TenantId);
        Task<Lease<byte>?> pending;
        try
        {
            pending = database.StringGetLeaseAsync(key.Key);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("GET", exception);
        }

        return AwaitGetValueAsync(pending, database, key, defaultValue, counters, onFailure, cancellationToken);
    }

    public async ValueTask<CacheLookup<T>[]> TryGetManyAsync<T>(string? tenantId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var database = _keys.For(tenantId);
        var serverKeys = new RedisKey[keys.Count];
        for (var i = 0; i < serverKeys.Length; i++)
        {
            serverKeys[i] = keys[i];
        }

        RedisValue[] values;
        try
        {
            values = await WaitAsync(database.StringGetAsync(serverKeys), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("MGET", exception);
        }

        var results = new CacheLookup<T>[values.Length];
        List<RedisKey>? corrupt = null;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i].IsNull)
            {
                continue;
            }

            var status = PayloadCodec.Decode((ReadOnlyMemory<byte>)values[i], _serializer, out T? value, out var problem, _signingKey);
            if (status == PayloadStatus.Found)
            {
                results[i] = new CacheLookup<T>(true, value);
            }
            else if (status == PayloadStatus.Corrupt)
            {
                RecordCorrupt(new CacheKey(tenantId, keys[i]), problem!);
                (corrupt ??= []).Add(serverKeys[i]);
            }
        }

        if (corrupt is not null)
        {
            try
            {
                await database.KeyDeleteAsync([.. corrupt]).ConfigureAwait(false);
            }
            catch (Exception exception) when (IsBackendFailure(exception))
            {
                CleanupFailed(exception);
            }
        }

        return results;
    }

    public bool Set<T>(in CacheKey key, T value, TimeSpan ttl)
    {
        if (IsTooLargeToEncode(value, out var rawBytes))
        {
            Reject(key, rawBytes);
            return false;
        }

        var payload = PayloadCodec.Encode(value, _serializer, _withChecksum, _signingKey);
        if (payload.ValueLength > _maxValueBytes)
        {
            payload.Return();
            Reject(key, payload.ValueLength);
            return false;
        }

        try
        {
            _keys.For(key.TenantId).StringSet(key.Key, payload.Memory, Expiry(ttl), When.Always, CommandFlags.None);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("SET", exception);
        }

        // Acknowledged, so the client is done with the bytes.
        payload.Return();
        return true;
    }

    public ValueTask<bool> SetAsync<T>(CacheKey key, T value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (IsTooLargeToEncode(value, out var rawBytes))
        {
            Reject(key, rawBytes);
            return new ValueTask<bool>(false);
        }

        var payload = PayloadCodec.Encode(value, _serializer, _withChecksum, _signingKey);
        if (payload.ValueLength > _maxValueBytes)
        {
            payload.Return();
            Reject(key, payload.ValueLength);
            return new ValueTask<bool>(false);
        }

        Task<bool> pending;
        try
        {
            pending = _keys.For(key.TenantId).StringSetAsync(key.Key, payload.Memory, Expiry(ttl), When.Always, CommandFlags.None);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("SET", exception);
        }

        return AwaitSetAsync(pending, payload, cancellationToken);
    }

    public bool Delete(in CacheKey key)
    {
        try
        {
            return _keys.For(key.TenantId).KeyDelete(key.Key);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("DEL", exception);
        }
    }

    public async ValueTask<bool> DeleteAsync(CacheKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await WaitAsync(_keys.For(key.TenantId).KeyDeleteAsync(key.Key), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("DEL", exception);
        }
    }

    public long Invalidate(string? tenantId, GlobPattern pattern) =>
        pattern.ExactKey is { } exactKey
            ? Delete(new CacheKey(tenantId, exactKey)) ? 1 : 0
            : ScanAndUnlink(_keys.Matching(tenantId, pattern));

    public async ValueTask<long> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        pattern.ExactKey is { } exactKey
            ? await DeleteAsync(new CacheKey(tenantId, exactKey), cancellationToken).ConfigureAwait(false) ? 1 : 0
            : await ScanAndUnlinkAsync(_keys.Matching(tenantId, pattern), cancellationToken).ConfigureAwait(false);

    public long Clear(string? tenantId) => ScanAndUnlink(_keys.Owned(tenantId));

    public ValueTask<long> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        ScanAndUnlinkAsync(_keys.Owned(tenantId), cancellationToken);

    public long SetMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl)
    {
        var window = new WriteWindow(entries.Count);
        var rejected = new RejectedValues();
        long stored = 0;
        try
        {
            var database = _keys.For(tenantId);
            var expiry = Expiry(ttl);
            for (var start = 0; start < entries.Count; start += WriteBatchSize)
            {
                var batch = window.Next();
                if (batch.InFlight)
                {
                    // The client's way to pipeline from synchronous code: send, then block until the replies are in.
                    batch.Completion.Wait();
                    stored += batch.Settle();
                }

                batch.Send(this, database, tenantId, entries, start, expiry, ref rejected);
            }

            foreach (var batch in window.InFlightOldestFirst())
            {
                batch.Completion.Wait();
                stored += batch.Settle();
            }
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("SET (warm)", exception);
        }
        finally
        {
            rejected.Report(this, tenantId);
        }

        return stored;
    }

    public async ValueTask<long> SetManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var window = new WriteWindow(entries.Count);
        var rejected = new RejectedValues();
        long stored = 0;
        try
        {
            var database = _keys.For(tenantId);
            var expiry = Expiry(ttl);
            for (var start = 0; start < entries.Count; start += WriteBatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = window.Next();
                if (batch.InFlight)
                {
                    // Usually done already (it was sent several batches ago), so this rarely leaves the thread.
                    await WaitAsync(batch.Completion, cancellationToken).ConfigureAwait(false);
                    stored += batch.Settle();
                }

                batch.Send(this, database, tenantId, entries, start, expiry, ref rejected);
            }

            foreach (var batch in window.InFlightOldestFirst())
            {
                await WaitAsync(batch.Completion, cancellationToken).ConfigureAwait(false);
                stored += batch.Settle();
            }
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("SET (warm)", exception);
        }
        finally
        {
            rejected.Report(this, tenantId);
        }

        return stored;
    }

    public StoreUsage GetUsage(string? tenantId)
    {
        var keys = new HashSet<RedisKey>();
        try
        {
            var selection = _keys.Owned(tenantId);
            var cursor = "0";
            do
            {
                var page = ParseScan(_database.Execute("SCAN", cursor, "MATCH", selection.ServerPattern, "COUNT", ScanPageSize));
                cursor = page.Cursor;
                keys.UnionWith(Select(selection, page.Keys));
            }
            while (cursor != "0");

            long bytes = 0;
            var pending = new List<Task<RedisResult>>(Math.Min(keys.Count, ScanPageSize));
            foreach (var key in keys)
            {
                pending.Add(_database.ExecuteAsync("MEMORY", "USAGE", key));
                if (pending.Count == ScanPageSize)
                {
                    bytes += SumMemory(pending);
                }
            }

            bytes += SumMemory(pending);
            return new StoreUsage(keys.Count, bytes);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("SCAN/MEMORY USAGE", exception);
        }

        static long SumMemory(List<Task<RedisResult>> pending)
        {
            Task.WaitAll(pending);
            long sum = 0;
            foreach (var task in pending)
            {
                sum += task.Result.IsNull ? 0 : (long)task.Result;
            }

            pending.Clear();
            return sum;
        }
    }

    public async ValueTask<StoreUsage> GetUsageAsync(string? tenantId, CancellationToken cancellationToken)
    {
        var keys = new HashSet<RedisKey>();
        try
        {
            var selection = _keys.Owned(tenantId);
            var cursor = "0";
            do
            {
                var reply = await WaitAsync(_database.ExecuteAsync("SCAN", cursor, "MATCH", selection.ServerPattern, "COUNT", ScanPageSize), cancellationToken).ConfigureAwait(false);
                var page = ParseScan(reply);
                cursor = page.Cursor;
                keys.UnionWith(Select(selection, page.Keys));
            }
            while (cursor != "0");

            long bytes = 0;
            var pending = new List<Task<RedisResult>>(Math.Min(keys.Count, ScanPageSize));
            foreach (var key in keys)
            {
                pending.Add(_database.ExecuteAsync("MEMORY", "USAGE", key));
                if (pending.Count == ScanPageSize)
                {
                    bytes += await SumMemoryAsync(pending, cancellationToken).ConfigureAwait(false);
                }
            }

            bytes += await SumMemoryAsync(pending, cancellationToken).ConfigureAwait(false);
            return new StoreUsage(keys.Count, bytes);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("SCAN/MEMORY USAGE", exception);
        }

        static async Task<long> SumMemoryAsync(List<Task<RedisResult>> pending, CancellationToken cancellationToken)
        {
            await WaitAsync(Task.WhenAll(pending), cancellationToken).ConfigureAwait(false);
            long sum = 0;
            foreach (var task in pending)
            {
                var result = await task.ConfigureAwait(false);
                sum += result.IsNull ? 0 : (long)result;
            }

            pending.Clear();
            return sum;
        }
    }

    public void Dispose() => _multiplexer.Dispose();

    public ValueTask DisposeAsync() => _multiplexer.DisposeAsync();

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

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CacheLookup<T>> AwaitGetAsync<T>(Task<Lease<byte>?> pending, IDatabase database, CacheKey key, CancellationToken cancellationToken)
    {
        Lease<byte>? lease;
        try
        {
            lease = await WaitAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException exception) when (IsWrongType(exception))
        {
            await RemoveCorruptAsync(database, key, WrongTypeProblem).ConfigureAwait(false);
            return default;
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("GET", exception);
        }

        if (lease is null)
        {
            return default;
        }

        PayloadStatus status;
        T? value;
        string? problem;
        using (lease)
        {
            status = PayloadCodec.Decode(lease.Memory, _serializer, out value, out problem, _signingKey);
        }

        if (status == PayloadStatus.Found)
        {
            return new CacheLookup<T>(true, value);
        }

        if (status == PayloadStatus.Corrupt)
        {
            await RemoveCorruptAsync(database, key, problem!).ConfigureAwait(false);
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
            lease = await WaitAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException exception) when (IsWrongType(exception))
        {
            await RemoveCorruptAsync(database, key, WrongTypeProblem).ConfigureAwait(false);
            counters.Misses.Increment();
            return defaultValue;
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            var failure = Failure("GET", exception);
            if (onFailure is null)
            {
                throw failure;
            }

            return onFailure.OnGetFailed<T>(key, failure).Count(counters, defaultValue);
        }

        if (lease is null)
        {
            counters.Misses.Increment();
            return defaultValue;
        }

        PayloadStatus status;
        T? value;
        string? problem;
        using (lease)
        {
            status = PayloadCodec.Decode(lease.Memory, _serializer, out value, out problem, _signingKey);
        }

        if (status == PayloadStatus.Found)
        {
            counters.Hits.Increment();
            return value;
        }

        if (status == PayloadStatus.Corrupt)
        {
            await RemoveCorruptAsync(database, key, problem!).ConfigureAwait(false);
        }

        counters.Misses.Increment();
        return defaultValue;
    }

    private async ValueTask RemoveCorruptAsync(IDatabase database, CacheKey key, string problem)
    {
        RecordCorrupt(key, problem);
        try
        {
            await database.KeyDeleteAsync(key.Key).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            CleanupFailed(exception);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> AwaitSetAsync(Task<bool> pending, PooledPayload payload, CancellationToken cancellationToken)
    {
        try
        {
            await WaitAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("SET", exception);
        }

        payload.Return();
        return true;
    }

    private long ScanAndUnlink(ScanSelection selection)
    {
        var pending = new List<Task<RedisResult>>();
        try
        {
            var cursor = "0";
            do
            {
                var page = ParseScan(_database.Execute("SCAN", cursor, "MATCH", selection.ServerPattern, "COUNT", ScanPageSize));
                cursor = page.Cursor;
                var selected = Select(selection, page.Keys);
                if (selected.Length > 0)
                {
                    // Sent without waiting, so the next SCAN page is fetched while the server unlinks this one.
                    pending.Add(_database.ExecuteAsync("UNLINK", ToArguments(selected), CommandFlags.None));
                }
            }
            while (cursor != "0");

            Task.WaitAll(pending);
            long removed = 0;
            foreach (var task in pending)
            {
                removed += (long)task.Result;
            }

            return removed;
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("SCAN/UNLINK", exception);
        }
    }

    private async ValueTask<long> ScanAndUnlinkAsync(ScanSelection selection, CancellationToken cancellationToken)
    {
        var pending = new List<Task<RedisResult>>();
        try
        {
            var cursor = "0";
            do
            {
                var reply = await WaitAsync(_database.ExecuteAsync("SCAN", cursor, "MATCH", selection.ServerPattern, "COUNT", ScanPageSize), cancellationToken).ConfigureAwait(false);
                var page = ParseScan(reply);
                cursor = page.Cursor;
                var selected = Select(selection, page.Keys);
                if (selected.Length > 0)
                {
                    pending.Add(_database.ExecuteAsync("UNLINK", ToArguments(selected), CommandFlags.None));
                }
            }
            while (cursor != "0");

            await WaitAsync(Task.WhenAll(pending), cancellationToken).ConfigureAwait(false);
            long removed = 0;
            foreach (var task in pending)
            {
                removed += (long)await task.ConfigureAwait(false);
            }

            return removed;
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            throw Failure("SCAN/UNLINK", exception);
        }
    }

    private static (string Cursor, RedisKey[] Keys) ParseScan(RedisResult reply)
    {
        var parts = (RedisResult[])reply!;
        return ((string)parts[0]!, (RedisKey[])parts[1]!);
    }

    /// <summary>The keys of a page that <paramref name="selection"/> takes (the page itself when it takes all).</summary>
    private static RedisKey[] Select(ScanSelection selection, RedisKey[] keys)
    {
        if (selection.SelectsEveryMatch)
        {
            return keys;
        }

        var selected = new List<RedisKey>(keys.Length);
        foreach (var key in keys)
        {
            if (selection.Selects((byte[])key!))
            {
                selected.Add(key);
            }
        }

        return [.. selected];
    }

    private static object[] ToArguments(RedisKey[] keys)
    {
        var arguments = new object[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            arguments[i] = keys[i];
        }

        return arguments;
    }

    private static Task<TResult> WaitAsync<TResult>(Task<TResult> pending, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? pending.WaitAsync(cancellationToken) : pending;

    private static Task WaitAsync(Task pending, CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled ? pending.WaitAsync(cancellationToken) : pending;

    /// <summary>
    /// Another client put a list, hash or set under one of our keys: the server answers <c>WRONGTYPE</c>. That is a
    /// bad value, not a failing server, so it is handled as one (and trips no circuit breaker).
    /// </summary>
    private static bool IsWrongType(RedisServerException exception) =>
        exception.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal);

    // Besides its own exceptions, the client can surface the transport's: an IOException or SocketException, or an
    // InvalidOperationException from its pipes ("Reading is not allowed after reader was completed",
    // StackExchange.Redis #3085) when the connection dies under a read. Only from those sources: a serializer's own
    // InvalidOperationException (warming encodes inside a try block) stays the caller's bug. The client also cancels
    // the tasks of commands it gives up on when a connection fails: a cancellation nobody asked for (its token is not
    // cancelled) is the server's failure, while the caller's own cancellation stays a cancellation.
    internal static bool IsBackendFailure(Exception exception) => exception switch
    {
        RedisException or TimeoutException or ObjectDisposedException => true,
        OperationCanceledException { CancellationToken.IsCancellationRequested: false } => true,
        IOException or System.Net.Sockets.SocketException => true,
        InvalidOperationException { Source: "System.IO.Pipelines" or "StackExchange.Redis" or "Pipelines.Sockets.Unofficial" } => true,
        AggregateException { InnerExceptions.Count: > 0 } aggregate => aggregate.InnerExceptions.All(IsBackendFailure),
        _ => false,
    };

    private CacheBackendException Failure(string operation, Exception exception)
    {
        _statistics.RecordBackendFailure();
        if (exception is AggregateException { InnerException: { } inner })
        {
            exception = inner;
        }

        var detail = exception.Message;
        if (!string.IsNullOrEmpty(_password))
        {
            // The client's messages should never hold the password; make sure.
            detail = detail.Replace(_password, "***", StringComparison.Ordinal);
        }

        return new CacheBackendException($"Dragonfly at {_endpoint} failed on {operation}: {detail}", exception);
    }

    private void RemoveCorrupt(IDatabase database, in CacheKey key, string problem)
    {
        RecordCorrupt(key, problem);
        try
        {
            database.KeyDelete(key.Key);
        }
        catch (Exception exception) when (IsBackendFailure(exception))
        {
            CleanupFailed(exception);
        }
    }

    private void RecordCorrupt(in CacheKey key, string problem)
    {
        _statistics.For(key.TenantId).RecordCorruptPayload();
        LogCorrupt(_logger, _keys.ServerKey(key.TenantId, key.Key), _endpoint, problem);
    }

    private void CleanupFailed(Exception exception)
    {
        // The read already answered "miss"; a failed clean-up only leaves the bad value for the next reader to remove.
        _statistics.RecordBackendFailure();
        LogCleanupFailed(_logger, _endpoint, exception.Message);
    }

    private void Reject(in CacheKey key, int valueBytes)
    {
        _statistics.For(key.TenantId).RecordRejectedValue();
        LogRejected(_logger, 1, _keys.ServerKey(key.TenantId, key.Key), valueBytes, _maxValueBytes);
    }

    /// <summary>
    /// True for a raw value known to be over the limit without encoding it (a string has at least one UTF-8 byte
    /// per character), so an oversized value is never copied into a buffer only to be refused.
    /// </summary>
    private bool IsTooLargeToEncode<T>(T value, out int valueBytes)
    {
        switch (value)
        {
            case byte[] bytes when bytes.Length > _maxValueBytes:
                valueBytes = bytes.Length;
                return true;
            case string text when text.Length > _maxValueBytes:
                valueBytes = Encoding.UTF8.GetByteCount(text);
                return true;
            default:
                valueBytes = 0;
                return false;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Removed an unreadable value {ServerKey} from Dragonfly at {Endpoint} and treated it as a miss: {Problem}.")]
    private static partial void LogCorrupt(ILogger logger, string serverKey, string endpoint, string problem);

    [LoggerMessage(2, LogLevel.Warning, "Could not remove an unreadable value from Dragonfly at {Endpoint}: {Reason}.")]
    private static partial void LogCleanupFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Did not cache {Count} value(s), the first {ServerKey} of {ValueBytes} bytes: larger than CacheConfig.MaxValueBytes ({MaxValueBytes}).")]
    private static partial void LogRejected(ILogger logger, int count, string serverKey, int valueBytes, int maxValueBytes);

    /// <summary>Values a warm call refused for size: counted one by one, logged once per call.</summary>
    private struct RejectedValues
    {
        private int _count;
        private string? _firstKey;
        private int _firstBytes;

        public void Add(string? tenantId, string key, int valueBytes, DragonflyStore store)
        {
            store._statistics.For(tenantId).RecordRejectedValue();
            if (_count++ == 0)
            {
                _firstKey = key;
                _firstBytes = valueBytes;
            }
        }

        public readonly void Report(DragonflyStore store, string? tenantId)
        {
            if (_count > 0)
            {
                LogRejected(store._logger, _count, store._keys.ServerKey(tenantId, _firstKey!), _firstBytes, store._maxValueBytes);
            }
        }
    }

    /// <summary>
    /// The warm writes in flight: up to <see cref="WriteWindowBatches"/> batches of <see cref="WriteBatchSize"/>, reused
    /// round-robin. A batch is awaited only when its slot comes round again, by which time its replies are usually
    /// in, so the connection never idles and the caller rarely waits.
    /// </summary>
    private sealed class WriteWindow
    {
        private readonly WriteBatch[] _batches;
        private int _next;

        public WriteWindow(int entryCount)
        {
            var batchCount = Math.Clamp((entryCount + WriteBatchSize - 1) / WriteBatchSize, 1, WriteWindowBatches);
            _batches = new WriteBatch[batchCount];
            for (var i = 0; i < batchCount; i++)
            {
                _batches[i] = new WriteBatch(Math.Min(entryCount, WriteBatchSize));
            }
        }

        public WriteBatch Next()
        {
            var batch = _batches[_next];
            _next = (_next + 1) % _batches.Length;
            return batch;
        }

        public IEnumerable<WriteBatch> InFlightOldestFirst()
        {
            for (var i = 0; i < _batches.Length; i++)
            {
                var batch = _batches[(_next + i) % _batches.Length];
                if (batch.InFlight)
                {
                    yield return batch;
                }
            }
        }
    }

    /// <summary>One pipelined batch of warm writes and the pooled buffers they hold until acknowledged.</summary>
    private sealed class WriteBatch
    {
        private readonly Task<bool>[] _tasks;
        private readonly PooledPayload[] _payloads;
        private int _count;

        public WriteBatch(int capacity)
        {
            _tasks = new Task<bool>[capacity];
            _payloads = new PooledPayload[capacity];
        }

        /// <summary>Sent and not yet settled.</summary>
        public bool InFlight => _count > 0;

        /// <summary>Completes when every write of the batch has its reply.</summary>
        public Task Completion { get; private set; } = Task.CompletedTask;

        public void Send<T>(DragonflyStore store, IDatabase database, string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, int start, TimeSpan? expiry, ref RejectedValues rejected)
        {
            _count = 0;
            var end = Math.Min(entries.Count, start + _tasks.Length);
            for (var i = start; i < end; i++)
            {
                var entry = entries[i];
                if (store.IsTooLargeToEncode(entry.Value, out var rawBytes))
                {
                    rejected.Add(tenantId, entry.Key, rawBytes, store);
                    continue;
                }

                var payload = PayloadCodec.Encode(entry.Value, store._serializer, store._withChecksum, store._signingKey);
                if (payload.ValueLength > store._maxValueBytes)
                {
                    payload.Return();
                    rejected.Add(tenantId, entry.Key, payload.ValueLength, store);
                    continue;
                }

                _payloads[_count] = payload;
                _tasks[_count] = database.StringSetAsync(entry.Key, payload.Memory, expiry, When.Always, CommandFlags.None);
                _count++;
            }

            Completion = _count > 0 ? Task.WhenAll(new ReadOnlySpan<Task>(_tasks, 0, _count)) : Task.CompletedTask;
        }

        /// <summary>Counts the acknowledged writes and returns their buffers; call once <see cref="Completion"/> is done.</summary>
        public long Settle()
        {
            long stored = 0;
            for (var i = 0; i < _count; i++)
            {
                if (_tasks[i].IsCompletedSuccessfully)
                {
                    stored += _tasks[i].Result ? 1 : 0;
                    _payloads[i].Return();
                }

                _tasks[i] = null!;
                _payloads[i] = default;
            }

            _count = 0;
            Completion = Task.CompletedTask;
            return stored;
        }
    }
}
