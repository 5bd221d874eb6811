using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Motadata.Cache.Keys;
using Motadata.Cache.Serialization;
using Motadata.Cache.Stats;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Backends.Dragonfly;

/// <summary>
/// How values go to and come back from the server: encoded with the payload header (<see cref="PayloadCodec"/>) and
/// refused past <see cref="CacheConfig.MaxValueBytes"/>; decoded in one place, an unreadable value being a miss that
/// is counted, logged and removed. Shared by the single-key path and the bulk writer.
/// </summary>
internal sealed partial class DragonflyValues
{
    private const string WrongTypeProblem = "the key holds a list, hash, set or other non-string value";

    private readonly DragonflyConnection _connection;
    private readonly DragonflyKeys _keys;
    private readonly CacheCounters _statistics;
    private readonly ICacheSerializer _serializer;
    private readonly bool _withChecksum;
    private readonly byte[]? _signingKey;
    private readonly int _maxValueBytes;
    private readonly ILogger _logger;

    public DragonflyValues(CacheConfig config, DragonflyConnection connection, DragonflyKeys keys, CacheCounters statistics)
    {
        _connection = connection;
        _keys = keys;
        _statistics = statistics;
        _serializer = config.Serializer ?? SystemTextJsonCacheSerializer.Default;
        _withChecksum = config.EnableValidation;
        _signingKey = config.SigningKey;
        _maxValueBytes = config.MaxValueBytes;
        _logger = (config.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<DragonflyStore>();
    }

    /// <summary>
    /// Encodes <paramref name="value"/> into a pooled payload (the caller returns it once the server has it), or
    /// returns false with its size in <paramref name="valueBytes"/> when it is larger than the limit. A raw value known
    /// to be over the limit (a string has at least one UTF-8 byte per character) is refused without being encoded.
    /// </summary>
    public bool TryEncode<T>(T value, out PooledPayload payload, out int valueBytes)
    {
        switch (value)
        {
            case byte[] bytes when bytes.Length > _maxValueBytes:
                valueBytes = bytes.Length;
                payload = default;
                return false;
            case string text when text.Length > _maxValueBytes:
                valueBytes = Encoding.UTF8.GetByteCount(text);
                payload = default;
                return false;
        }

        payload = PayloadCodec.Encode(value, _serializer, _withChecksum, _signingKey);
        valueBytes = payload.ValueLength;
        if (valueBytes > _maxValueBytes)
        {
            payload.Return();
            payload = default;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Reads a value the server returned (null: no such key). True with the value when it decodes; false for a miss,
    /// with <paramref name="problem"/> set when the stored bytes are unreadable and must be removed.
    /// </summary>
    public bool TryDecode<T>(ReadOnlyMemory<byte>? stored, out T? value, out string? problem)
    {
        problem = null;
        if (stored is not { } bytes)
        {
            value = default;
            return false;
        }

        var status = PayloadCodec.Decode(bytes, _serializer, out value, out var decodeProblem, _signingKey);
        if (status == PayloadStatus.Corrupt)
        {
            problem = decodeProblem;
        }

        // A cached null is a hit for a T that can hold null, as on the memory backend.
        return status == PayloadStatus.Found;
    }

    /// <summary>As <see cref="TryDecode{T}(ReadOnlyMemory{byte}?, out T, out string?)"/>, from the client's leased buffer, which is released here.</summary>
    public bool TryDecode<T>(Lease<byte>? lease, out T? value, out string? problem)
    {
        if (lease is null)
        {
            value = default;
            problem = null;
            return false;
        }

        using (lease)
        {
            return TryDecode(lease.Memory, out value, out problem);
        }
    }

    /// <summary>
    /// The one read rule of the Dragonfly store, for every path that reads a value (a <c>GET</c>, a batched
    /// <c>MGET</c>, each key of a batch read, a read with its TTL): what the server's answer comes to. The stored
    /// bytes (null: no such key) decode to a hit or a miss; a <c>WRONGTYPE</c> answer or bytes that fail their check
    /// are a miss with <paramref name="unreadable"/> saying why (the caller removes the value, see
    /// <see cref="RemoveCorrupt"/>, before it answers); a server failure is the outcome's <c>Failure</c> (counted).
    /// Anything else thrown (not the server's) is thrown on, with its stack.
    /// </summary>
    public ReadOutcome<T> Outcome<T>(ReadOnlyMemory<byte>? stored, Exception? failure, out string? unreadable)
    {
        if (failure is null)
        {
            return TryDecode(stored, out T? value, out unreadable) ? ReadOutcome<T>.Hit(value) : ReadOutcome<T>.Miss;
        }

        unreadable = null;
        if (IsWrongTypeAnswer(failure))
        {
            unreadable = WrongTypeProblem;
            return ReadOutcome<T>.Miss;
        }

        if (!DragonflyConnection.IsBackendFailure(failure))
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        return ReadOutcome<T>.Failed(_connection.Failure("GET", failure));
    }

    /// <inheritdoc cref="Outcome{T}(ReadOnlyMemory{byte}?, Exception?, out string?)"/>
    /// <remarks>From the client's leased buffer, which is released here.</remarks>
    public ReadOutcome<T> Outcome<T>(Lease<byte>? lease, Exception? failure, out string? unreadable)
    {
        // Not "lease is null ? null : lease.Memory": that null converts through byte[] to an empty memory, which
        // would read an absent key as an unreadable value.
        if (lease is null)
        {
            return Outcome<T>(default(ReadOnlyMemory<byte>?), failure, out unreadable);
        }

        using (lease)
        {
            return Outcome<T>((ReadOnlyMemory<byte>?)lease.Memory, failure, out unreadable);
        }
    }

    /// <inheritdoc cref="Outcome{T}(ReadOnlyMemory{byte}?, Exception?, out string?)"/>
    /// <remarks>From one value of a multi-key answer.</remarks>
    public ReadOutcome<T> Outcome<T>(in RedisValue stored, Exception? failure, out string? unreadable) =>
        Outcome<T>(stored.IsNull ? default(ReadOnlyMemory<byte>?) : (ReadOnlyMemory<byte>)stored, failure, out unreadable);

    /// <summary>
    /// True for what a read answers by the rule above rather than letting through: the server's failure, or a
    /// <c>WRONGTYPE</c> answer. For the filter of the <c>catch</c> around a read.
    /// </summary>
    public static bool IsAnswer(Exception exception) =>
        IsWrongTypeAnswer(exception) || DragonflyConnection.IsBackendFailure(exception);

    private static bool IsWrongTypeAnswer(Exception exception) => exception switch
    {
        RedisServerException server => DragonflyConnection.IsWrongType(server),
        AggregateException { InnerExceptions: [var single] } => IsWrongTypeAnswer(single),
        _ => false,
    };

    /// <summary>The problem to report when the server answered <c>WRONGTYPE</c> for one of our keys.</summary>
    public static string WrongType => WrongTypeProblem;

    /// <summary>Counts, logs and removes an unreadable value; a failure to remove it is only counted.</summary>
    public void RemoveCorrupt(IDatabase database, in CacheKey key, string problem)
    {
        RecordCorrupt(key, problem);
        try
        {
            database.KeyDelete(key.Key);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            CleanupFailed(exception);
        }
    }

    /// <inheritdoc cref="RemoveCorrupt"/>
    public async ValueTask RemoveCorruptAsync(IDatabase database, CacheKey key, string problem)
    {
        RecordCorrupt(key, problem);
        try
        {
            await database.KeyDeleteAsync(key.Key).ConfigureAwait(false);
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            CleanupFailed(exception);
        }
    }

    /// <summary>Counts and logs an unreadable value (its removal is the caller's, batched or not).</summary>
    public void RecordCorrupt(in CacheKey key, string problem)
    {
        _statistics.For(key.TenantId).RecordCorruptPayload();
        LogCorrupt(_logger, _keys.ServerKey(key.TenantId, key.Key), _connection.Endpoint, problem);
    }

    public void CleanupFailed(Exception exception)
    {
        _connection.RecordCleanupFailure();
        LogCleanupFailed(_logger, _connection.Endpoint, exception.Message);
    }

    /// <summary>Counts a value refused for its size, without logging (a warm logs once per call).</summary>
    public void CountRejected(string? tenantId) => _statistics.For(tenantId).RecordRejectedValue();

    /// <summary>Logs refused values: <paramref name="count"/> of them, the first under <paramref name="key"/>.</summary>
    public void LogRejected(string? tenantId, string key, int valueBytes, int count = 1) =>
        LogRejected(_logger, count, _keys.ServerKey(tenantId, key), valueBytes, _maxValueBytes);

    [LoggerMessage(1, LogLevel.Warning, "Removed an unreadable value {ServerKey} from Dragonfly at {Endpoint} and treated it as a miss: {Problem}.")]
    private static partial void LogCorrupt(ILogger logger, string serverKey, string endpoint, string problem);

    [LoggerMessage(2, LogLevel.Warning, "Could not remove an unreadable value from Dragonfly at {Endpoint}: {Reason}.")]
    private static partial void LogCleanupFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Did not cache {Count} value(s), the first {ServerKey} of {ValueBytes} bytes: larger than CacheConfig.MaxValueBytes ({MaxValueBytes}).")]
    private static partial void LogRejected(ILogger logger, int count, string serverKey, int valueBytes, int maxValueBytes);
}
