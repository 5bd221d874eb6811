using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
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
    /// <summary>Dragonfly caps expiry deadlines near 2^28 seconds (about 8.5 years); longer TTLs are clamped to this.</summary>
    internal static readonly TimeSpan MaxTtl = TimeSpan.FromDays(3000);

    private const int ScanPageSize = 4096;
    private const int WriteBatchSize = 1000;

    private readonly ConnectionMultiplexer _multiplexer;
    private readonly IDatabase _database;
    private readonly DragonflyKeys _keys;
    private readonly CacheStatistics _statistics;
    private readonly ICacheSerializer _serializer;
    private readonly bool _withChecksum;
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
            status = PayloadCodec.Decode(lease.Memory, _serializer, out found, out problem);
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

            var status = PayloadCodec.Decode((ReadOnlyMemory<byte>)values[i], _serializer, out T? value, out var problem);
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
        var payload = PayloadCodec.Encode(value, _serializer, _withChecksum);
        if (payload.ValueLength > _maxValueBytes)
        {
            Reject(key, payload);
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
        var payload = PayloadCodec.Encode(value, _serializer, _withChecksum);
        if (payload.ValueLength > _maxValueBytes)
        {
            Reject(key, payload);
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
            : ScanAndUnlink(_keys.MatchPattern(tenantId, pattern));

    public async ValueTask<long> InvalidateAsync(string? tenantId, GlobPattern pattern, CancellationToken cancellationToken) =>
        pattern.ExactKey is { } exactKey
            ? await DeleteAsync(new CacheKey(tenantId, exactKey), cancellationToken).ConfigureAwait(false) ? 1 : 0
            : await ScanAndUnlinkAsync(_keys.MatchPattern(tenantId, pattern), cancellationToken).ConfigureAwait(false);

    public long Clear(string? tenantId) => ScanAndUnlink(_keys.ClearPattern(tenantId));

    public ValueTask<long> ClearAsync(string? tenantId, CancellationToken cancellationToken) =>
        ScanAndUnlinkAsync(_keys.ClearPattern(tenantId), cancellationToken);

    public long SetMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl)
    {
        var database = _keys.For(tenantId);
        var expiry = Expiry(ttl);
        var capacity = Math.Min(entries.Count, WriteBatchSize);

        // Two batches in flight: the next one is sent before the previous one's replies are awaited, so the
        // connection never idles between batches.
        WriteBatch current = new(capacity), previous = new(capacity);
        long stored = 0;
        var rejected = new RejectedValues();
        try
        {
            for (var start = 0; start < entries.Count; start += WriteBatchSize)
            {
                current.Fill(this, database, tenantId, entries, start, expiry, ref rejected);
                if (previous.Count > 0)
                {
                    // The client's way to pipeline from synchronous code: send, then block until the replies are in.
                    Task.WaitAll(previous.Pending);
                    stored += previous.Settle();
                }

                (current, previous) = (previous, current);
            }

            if (previous.Count > 0)
            {
                Task.WaitAll(previous.Pending);
                stored += previous.Settle();
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
        var database = _keys.For(tenantId);
        var expiry = Expiry(ttl);
        var capacity = Math.Min(entries.Count, WriteBatchSize);
        WriteBatch current = new(capacity), previous = new(capacity);
        long stored = 0;
        var rejected = new RejectedValues();
        try
        {
            for (var start = 0; start < entries.Count; start += WriteBatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                current.Fill(this, database, tenantId, entries, start, expiry, ref rejected);
                if (previous.Count > 0)
                {
                    await WaitAsync(Task.WhenAll(previous.Pending), cancellationToken).ConfigureAwait(false);
                    stored += previous.Settle();
                }

                (current, previous) = (previous, current);
            }

            if (previous.Count > 0)
            {
                await WaitAsync(Task.WhenAll(previous.Pending), cancellationToken).ConfigureAwait(false);
                stored += previous.Settle();
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
            var pattern = _keys.ClearPattern(tenantId);
            var cursor = "0";
            do
            {
                var page = ParseScan(_database.Execute("SCAN", cursor, "MATCH", pattern, "COUNT", ScanPageSize));
                cursor = page.Cursor;
                keys.UnionWith(page.Keys);
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
            var pattern = _keys.ClearPattern(tenantId);
            var cursor = "0";
            do
            {
                var reply = await WaitAsync(_database.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", ScanPageSize), cancellationToken).ConfigureAwait(false);
                var page = ParseScan(reply);
                cursor = page.Cursor;
                keys.UnionWith(page.Keys);
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
            status = PayloadCodec.Decode(lease.Memory, _serializer, out value, out problem);
        }

        if (status == PayloadStatus.Found)
        {
            return new CacheLookup<T>(true, value);
        }

        if (status == PayloadStatus.Corrupt)
        {
            RecordCorrupt(key, problem!);
            try
            {
                await database.KeyDeleteAsync(key.Key).ConfigureAwait(false);
            }
            catch (Exception exception) when (IsBackendFailure(exception))
            {
                CleanupFailed(exception);
            }
        }

        return default;
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

    private long ScanAndUnlink(string pattern)
    {
        var pending = new List<Task<RedisResult>>();
        try
        {
            var cursor = "0";
            do
            {
                var page = ParseScan(_database.Execute("SCAN", cursor, "MATCH", pattern, "COUNT", ScanPageSize));
                cursor = page.Cursor;
                if (page.Keys.Length > 0)
                {
                    // Sent without waiting, so the next SCAN page is fetched while the server unlinks this one.
                    pending.Add(_database.ExecuteAsync("UNLINK", ToArguments(page.Keys), CommandFlags.None));
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

    private async ValueTask<long> ScanAndUnlinkAsync(string pattern, CancellationToken cancellationToken)
    {
        var pending = new List<Task<RedisResult>>();
        try
        {
            var cursor = "0";
            do
            {
                var reply = await WaitAsync(_database.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", ScanPageSize), cancellationToken).ConfigureAwait(false);
                var page = ParseScan(reply);
                cursor = page.Cursor;
                if (page.Keys.Length > 0)
                {
                    pending.Add(_database.ExecuteAsync("UNLINK", ToArguments(page.Keys), CommandFlags.None));
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

    private static bool IsBackendFailure(Exception exception) => exception switch
    {
        RedisException or TimeoutException or ObjectDisposedException => true,
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

    private void Reject(in CacheKey key, PooledPayload payload)
    {
        payload.Return();
        _statistics.For(key.TenantId).RecordRejectedValue();
        LogRejected(_logger, 1, _keys.ServerKey(key.TenantId, key.Key), payload.ValueLength, _maxValueBytes);
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

    /// <summary>One pipelined batch of warm writes and the pooled buffers they hold until acknowledged.</summary>
    private sealed class WriteBatch
    {
        private readonly Task<bool>[] _tasks;
        private readonly PooledPayload[] _payloads;

        public WriteBatch(int capacity)
        {
            _tasks = new Task<bool>[capacity];
            _payloads = new PooledPayload[capacity];
        }

        public int Count { get; private set; }

        public ReadOnlySpan<Task> Pending => new(_tasks, 0, Count);

        public void Fill<T>(DragonflyStore store, IDatabase database, string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, int start, TimeSpan? expiry, ref RejectedValues rejected)
        {
            Count = 0;
            var end = Math.Min(entries.Count, start + _tasks.Length);
            for (var i = start; i < end; i++)
            {
                var entry = entries[i];
                var payload = PayloadCodec.Encode(entry.Value, store._serializer, store._withChecksum);
                if (payload.ValueLength > store._maxValueBytes)
                {
                    payload.Return();
                    rejected.Add(tenantId, entry.Key, payload.ValueLength, store);
                    continue;
                }

                _payloads[Count] = payload;
                _tasks[Count] = database.StringSetAsync(entry.Key, payload.Memory, expiry, When.Always, CommandFlags.None);
                Count++;
            }
        }

        /// <summary>Counts the acknowledged writes and returns their buffers; call once every task has completed.</summary>
        public long Settle()
        {
            long stored = 0;
            for (var i = 0; i < Count; i++)
            {
                if (_tasks[i].IsCompletedSuccessfully)
                {
                    stored += _tasks[i].Result ? 1 : 0;
                    _payloads[i].Return();
                }

                _tasks[i] = null!;
                _payloads[i] = default;
            }

            Count = 0;
            return stored;
        }
    }
}
