using System.Diagnostics;
using BitFaster.Caching.Lru;
using Microsoft.Extensions.Caching.Memory;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// The hit-ratio run (a console report, not a timing benchmark): one Zipf(0.9) trace over 100,000 keys, drawn with a
/// fixed seed, replayed against each cache at capacities of 1% and 10% of the key space. Each request is a get; a miss
/// is followed by a set, as a read-through cache would do. An exact LRU is printed as the reference point.
/// </summary>
public static class HitRatioRun
{
    public const int KeySpace = 100_000;
    public const int TraceLength = 2_000_000;
    public const double Skew = 0.9;
    public const int Seed = 42;

    public static void Run(TextWriter output)
    {
        var keys = new string[KeySpace];
        for (var i = 0; i < KeySpace; i++)
        {
            keys[i] = $"key-{i}";
        }

        var trace = ZipfTrace(KeySpace, Skew, TraceLength, Seed);
        output.WriteLine($"Zipf({Skew}) trace: {TraceLength:N0} requests over {KeySpace:N0} keys, seed {Seed}; a miss is followed by a set.");
        output.WriteLine();
        output.WriteLine("| Cache | Capacity | Hit ratio |");
        output.WriteLine("| --- | ---: | ---: |");
        foreach (var percent in new[] { 1, 10 })
        {
            var capacity = KeySpace * percent / 100;
            var label = $"{capacity:N0} ({percent}%)";
            output.WriteLine($"| Motadata.Cache (memory) | {label} | {Ours(trace, keys, capacity, sharded: false):P2} |");
            output.WriteLine($"| Motadata.Cache (memory, 16 shards) | {label} | {Ours(trace, keys, capacity, sharded: true):P2} |");
            output.WriteLine($"| BitFaster ConcurrentLru | {label} | {BitFasterLru(trace, keys, capacity):P2} |");
            output.WriteLine($"| MemoryCache (SizeLimit) | {label} | {MemoryCacheWithLimit(trace, keys, capacity):P2} |");
            output.WriteLine($"| exact LRU (reference) | {label} | {ExactLru(trace, capacity):P2} |");
        }
    }

    /// <summary>Key indices drawn from Zipf(<paramref name="skew"/>): index 0 the most frequent.</summary>
    public static int[] ZipfTrace(int keySpace, double skew, int length, int seed)
    {
        var cumulative = new double[keySpace];
        var total = 0d;
        for (var rank = 0; rank < keySpace; rank++)
        {
            total += 1d / Math.Pow(rank + 1, skew);
            cumulative[rank] = total;
        }

        var random = new Random(seed);
        var trace = new int[length];
        for (var i = 0; i < length; i++)
        {
            var index = Array.BinarySearch(cumulative, random.NextDouble() * total);
            trace[i] = index >= 0 ? index : Math.Min(~index, keySpace - 1);
        }

        return trace;
    }

    private static double Ours(int[] trace, string[] keys, int capacity, bool sharded)
    {
        using var cache = new CacheMechanism(new CacheConfig
        {
            MaxSize = capacity,
            Ttl = Timeout.InfiniteTimeSpan,
            EnableSharding = sharded,
            ShardCount = 16,
        });
        long hits = 0;
        foreach (var index in trace)
        {
            if (cache.TryGet(keys[index], out string? _, MemoryPeers.Tenant))
            {
                hits++;
            }
            else
            {
                cache.Set(keys[index], keys[index], tenantId: MemoryPeers.Tenant);
            }
        }

        // The cache's own statistics must agree with what the caller saw.
        var stats = cache.GetStats(MemoryPeers.Tenant);
        Debug.Assert(stats.Hits == hits, "The cache's hit count differs from the caller's.");
        return (double)hits / trace.Length;
    }

    private static double BitFasterLru(int[] trace, string[] keys, int capacity)
    {
        var cache = new ConcurrentLru<string, string>(capacity);
        long hits = 0;
        foreach (var index in trace)
        {
            if (cache.TryGet(keys[index], out _))
            {
                hits++;
            }
            else
            {
                cache.AddOrUpdate(keys[index], keys[index]);
            }
        }

        return (double)hits / trace.Length;
    }

    private static double MemoryCacheWithLimit(int[] trace, string[] keys, int capacity)
    {
        using var cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = capacity });
        var entry = new MemoryCacheEntryOptions { Size = 1 };
        long hits = 0;
        foreach (var index in trace)
        {
            if (cache.TryGetValue(keys[index], out string? _))
            {
                hits++;
            }
            else
            {
                cache.Set(keys[index], keys[index], entry);
            }
        }

        return (double)hits / trace.Length;
    }

    private static double ExactLru(int[] trace, int capacity)
    {
        var map = new Dictionary<int, LinkedListNode<int>>(capacity);
        var order = new LinkedList<int>();
        long hits = 0;
        foreach (var index in trace)
        {
            if (map.TryGetValue(index, out var node))
            {
                hits++;
                order.Remove(node);
                order.AddFirst(node);
                continue;
            }

            if (map.Count == capacity)
            {
                map.Remove(order.Last!.Value);
                order.RemoveLast();
            }

            map[index] = order.AddFirst(index);
        }

        return (double)hits / trace.Length;
    }
}
