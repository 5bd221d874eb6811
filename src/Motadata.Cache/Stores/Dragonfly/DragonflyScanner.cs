using StackExchange.Redis;

namespace Motadata.Cache.Stores.Dragonfly;

/// <summary>
/// Walks the keyspace for invalidation, clearing and usage: <c>SCAN cursor MATCH ... COUNT 4096</c> to the end (never
/// <c>KEYS</c>, never <c>FLUSH</c>), keeps the keys a <see cref="ScanSelection"/> takes, and pipelines one
/// <c>UNLINK</c> per page while the next page is fetched, or one <c>MEMORY USAGE</c> per key found.
/// </summary>
internal sealed class DragonflyScanner
{
    private const int ScanPageSize = 4096;

    private readonly DragonflyConnection _connection;
    private readonly IDatabase _database;

    public DragonflyScanner(DragonflyConnection connection)
    {
        _connection = connection;
        _database = connection.Database;
    }

    /// <summary>Removes every selected key; returns how many the server removed.</summary>
    public long Unlink(ScanSelection selection)
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
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SCAN/UNLINK", exception);
        }
    }

    /// <inheritdoc cref="Unlink"/>
    public async ValueTask<long> UnlinkAsync(ScanSelection selection, CancellationToken cancellationToken)
    {
        var pending = new List<Task<RedisResult>>();
        try
        {
            var cursor = "0";
            do
            {
                var reply = await DragonflyConnection.WaitAsync(_database.ExecuteAsync("SCAN", cursor, "MATCH", selection.ServerPattern, "COUNT", ScanPageSize), cancellationToken).ConfigureAwait(false);
                var page = ParseScan(reply);
                cursor = page.Cursor;
                var selected = Select(selection, page.Keys);
                if (selected.Length > 0)
                {
                    pending.Add(_database.ExecuteAsync("UNLINK", ToArguments(selected), CommandFlags.None));
                }
            }
            while (cursor != "0");

            await DragonflyConnection.WaitAsync(Task.WhenAll(pending), cancellationToken).ConfigureAwait(false);
            long removed = 0;
            foreach (var task in pending)
            {
                removed += (long)await task.ConfigureAwait(false);
            }

            return removed;
        }
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SCAN/UNLINK", exception);
        }
    }

    /// <summary>How many selected keys there are (each counted once) and the bytes the server holds for them.</summary>
    public StoreUsage Usage(ScanSelection selection)
    {
        var keys = new HashSet<RedisKey>();
        try
        {
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
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SCAN/MEMORY USAGE", exception);
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

    /// <inheritdoc cref="Usage"/>
    public async ValueTask<StoreUsage> UsageAsync(ScanSelection selection, CancellationToken cancellationToken)
    {
        var keys = new HashSet<RedisKey>();
        try
        {
            var cursor = "0";
            do
            {
                var reply = await DragonflyConnection.WaitAsync(_database.ExecuteAsync("SCAN", cursor, "MATCH", selection.ServerPattern, "COUNT", ScanPageSize), cancellationToken).ConfigureAwait(false);
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
        catch (Exception exception) when (DragonflyConnection.IsBackendFailure(exception))
        {
            throw _connection.Failure("SCAN/MEMORY USAGE", exception);
        }

        static async Task<long> SumMemoryAsync(List<Task<RedisResult>> pending, CancellationToken cancellationToken)
        {
            await DragonflyConnection.WaitAsync(Task.WhenAll(pending), cancellationToken).ConfigureAwait(false);
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
}
