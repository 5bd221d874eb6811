using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Memory;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// Managed heap per cached entry (a console report, `-- bytes`): the heap after filling a cache with 200,000 entries
/// whose values are 16-byte strings (8 UTF-16 characters), minus the heap before, over 200,000. Keys and values are
/// made before the first measurement, so only what the cache itself allocates is counted.
/// </summary>
public static class BytesPerEntryRun
{
    private const int Entries = 200_000;

    public static void Run(TextWriter output)
    {
        var keys = new string[Entries];
        var values = new string[Entries];
        for (var i = 0; i < Entries; i++)
        {
            keys[i] = $"key-{i:D6}";
            values[i] = $"v{i:D7}";
        }

        output.WriteLine($"Managed heap per entry, {Entries:N0} entries, 16-byte string values, keys of 10 characters (values and keys not counted).");
        output.WriteLine();
        output.WriteLine("| Cache | Bytes per entry |");
        output.WriteLine("| --- | ---: |");
        output.WriteLine($"| Motadata.Cache (memory, tenant on every call) | {Measure(() => FillOurs(keys, values, "tenant-1")):N0} |");
        output.WriteLine($"| Motadata.Cache (memory, global namespace) | {Measure(() => FillOurs(keys, values, null)):N0} |");
        output.WriteLine($"| BitFaster ConcurrentLfu | {Measure(() => FillLfu(keys, values)):N0} |");
        output.WriteLine($"| BitFaster ConcurrentLru | {Measure(() => FillLru(keys, values)):N0} |");
        output.WriteLine($"| MemoryCache | {Measure(() => FillMemoryCache(keys, values)):N0} |");
        GC.KeepAlive(keys);
        GC.KeepAlive(values);
    }

    private static double Measure(Func<object> fill)
    {
        // Twice: the first run also loads and compiles code whose statics would be counted.
        Once(fill);
        return Once(fill);

        static double Once(Func<object> fill)
        {
            var before = Heap();
            var cache = fill();
            var after = Heap();
            GC.KeepAlive(cache);
            (cache as IDisposable)?.Dispose();
            return (after - before) / (double)Entries;
        }
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "Measure takes any cache as an object.")]
    private static object FillOurs(string[] keys, string[] values, string? tenant)
    {
        var cache = new CacheMechanism(new CacheConfig { MaxSize = Entries, Ttl = TimeSpan.FromHours(1) });
        for (var i = 0; i < keys.Length; i++)
        {
            cache.Set(keys[i], values[i], tenantId: tenant);
        }

        return cache;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "Measure takes any cache as an object.")]
    private static object FillLfu(string[] keys, string[] values)
    {
        var cache = new ConcurrentLfu<string, string>(Entries);
        for (var i = 0; i < keys.Length; i++)
        {
            cache.AddOrUpdate(keys[i], values[i]);
        }

        cache.DoMaintenance();
        return cache;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "Measure takes any cache as an object.")]
    private static object FillLru(string[] keys, string[] values)
    {
        var cache = new ConcurrentLru<string, string>(Entries);
        for (var i = 0; i < keys.Length; i++)
        {
            cache.AddOrUpdate(keys[i], values[i]);
        }

        return cache;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "Measure takes any cache as an object.")]
    private static object FillMemoryCache(string[] keys, string[] values)
    {
        var cache = new MemoryCache(new MemoryCacheOptions());
        var entry = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) };
        for (var i = 0; i < keys.Length; i++)
        {
            cache.Set(keys[i], values[i], entry);
        }

        return cache;
    }
}
