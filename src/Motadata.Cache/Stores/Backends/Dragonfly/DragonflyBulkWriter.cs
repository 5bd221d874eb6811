using Motadata.Cache.Serialization;
using StackExchange.Redis;

namespace Motadata.Cache.Stores.Backends.Dragonfly;

/// <summary>
/// Cache warming: <c>SET</c>s sent as client batches (<see cref="IBatch"/>: each server gets its share in one write,
/// per primary on a cluster) of <see cref="WriteBatchSize"/>, up to
/// <see cref="WriteWindowBatches"/> batches in flight, so the connection never idles and the caller rarely waits.
/// A value over the size limit is refused, counted, and logged once per call.
/// </summary>
internal sealed class DragonflyBulkWriter
{
    private const int WriteBatchSize = 1000;
    private const int WriteWindowBatches = 8;

    private readonly DragonflyConnection _connection;
    private readonly DragonflyKeys _keys;
    private readonly DragonflyValues _values;

    public DragonflyBulkWriter(DragonflyConnection connection, DragonflyKeys keys, DragonflyValues values)
    {
        _connection = connection;
        _keys = keys;
        _values = values;
    }

    /// <summary>Stores every pair and returns how many the server acknowledged.</summary>
    public long SetMany<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl)
    {
        var window = new WriteWindow(entries.Count);
        var rejected = new RejectedValues();
        long stored = 0;
        try
        {
            var database = _keys.NamespaceDatabase(tenantId);
            var expiry = DragonflyStore.Expiry(ttl);
            for (var start = 0; start < entries.Count; start += WriteBatchSize)
            {
                var batch = window.Next();
                if (batch.InFlight)
                {
                    // The client's way to pipeline from synchronous code: send, then block until the replies are in.
                    batch.Completion.Wait();
                    stored += batch.Acknowledge();
                }

                batch.Send(_values, database, tenantId, entries, start, expiry, ref rejected);
            }

            foreach (var batch in window.InFlightOldestFirst())
            {
                batch.Completion.Wait();
                stored += batch.Acknowledge();
            }
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SET (warm)", exception);
        }
        finally
        {
            rejected.Report(_values, tenantId);
        }

        return stored;
    }

    /// <inheritdoc cref="SetMany"/>
    public async ValueTask<long> SetManyAsync<T>(string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var window = new WriteWindow(entries.Count);
        var rejected = new RejectedValues();
        long stored = 0;
        try
        {
            var database = _keys.NamespaceDatabase(tenantId);
            var expiry = DragonflyStore.Expiry(ttl);
            for (var start = 0; start < entries.Count; start += WriteBatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = window.Next();
                if (batch.InFlight)
                {
                    // Usually done already (it was sent several batches ago), so this rarely leaves the thread.
                    await DragonflyConnection.WaitAsync(batch.Completion, cancellationToken).ConfigureAwait(false);
                    stored += batch.Acknowledge();
                }

                batch.Send(_values, database, tenantId, entries, start, expiry, ref rejected);
            }

            foreach (var batch in window.InFlightOldestFirst())
            {
                await DragonflyConnection.WaitAsync(batch.Completion, cancellationToken).ConfigureAwait(false);
                stored += batch.Acknowledge();
            }
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SET (warm)", exception);
        }
        finally
        {
            rejected.Report(_values, tenantId);
        }

        return stored;
    }

    /// <summary>Values a warm call refused for size: counted one by one, logged once per call.</summary>
    private struct RejectedValues
    {
        private int _count;
        private string? _firstKey;
        private int _firstBytes;

        public void Add(DragonflyValues values, string? tenantId, string key, int valueBytes)
        {
            values.CountRejected(tenantId);
            if (_count++ == 0)
            {
                _firstKey = key;
                _firstBytes = valueBytes;
            }
        }

        public readonly void Report(DragonflyValues values, string? tenantId)
        {
            if (_count > 0)
            {
                values.LogRejected(tenantId, _firstKey!, _firstBytes, _count);
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

        /// <summary>Sent and not yet acknowledged.</summary>
        public bool InFlight => _count > 0;

        /// <summary>Completes when every write of the batch has its reply.</summary>
        public Task Completion { get; private set; } = Task.CompletedTask;

        public void Send<T>(DragonflyValues values, IDatabase database, string? tenantId, IReadOnlyList<KeyValuePair<string, T>> entries, int start, TimeSpan? expiry, ref RejectedValues rejected)
        {
            _count = 0;

            // One batch: the client queues the writes and hands each server its share in one go (on a cluster it
            // groups them by the primary that owns each key's slot), instead of taking the connection's write lock
            // once per command.
            var batch = database.CreateBatch();
            var end = Math.Min(entries.Count, start + _tasks.Length);
            for (var i = start; i < end; i++)
            {
                var entry = entries[i];
                if (!values.TryEncode(entry.Value, out var payload, out var valueBytes))
                {
                    rejected.Add(values, tenantId, entry.Key, valueBytes);
                    continue;
                }

                _payloads[_count] = payload;
                _tasks[_count] = batch.StringSetAsync(entry.Key, payload.Memory, expiry, When.Always, CommandFlags.None);
                _count++;
            }

            batch.Execute();

            Completion = _count > 0 ? Task.WhenAll(new ReadOnlySpan<Task>(_tasks, 0, _count)) : Task.CompletedTask;
        }

        /// <summary>Counts the acknowledged writes and returns their buffers; call once <see cref="Completion"/> is done.</summary>
        public long Acknowledge()
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
