using System.Diagnostics;
using BitFaster.Caching.Lfu;
using BitFaster.Caching.Lru;
using BitFaster.Caching.Scheduler;
using Microsoft.Extensions.Caching.Memory;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// The hit-ratio run (a console report, not a timing benchmark): fixed-seed traces over a 100,000-key space,
/// replayed against each cache at capacities of 1% and 10% of the key space. Each request is a get; a miss is followed
/// by a set, as a read-through cache would do. An exact LRU is printed as the reference point.
/// </summary>
/// <remarks>
/// The traces: Zipf(0.9) and Zipf(0.7); Zipf(0.9) with a one-pass scan of 10,000 never-reused keys after every
/// 30,000 requests (scan resistance); and a loop over 12,500 keys in order (LRU's worst case: it never hits).
/// </remarks>
public static class HitRatioRun
{
    public const int KeySpace = 100_000;
    public const int TraceLength = 2_000_000;
    public const int Seed = 42;
    public const int LoopLength = 12_500;

    public static void Run(TextWriter output)
    {
        var traces = new (string Name, int[] Trace)[]
        {
            ("Zipf(0.9)", ZipfTrace(KeySpace, 0.9, TraceLength, Seed)),
            ("Zipf(0.7)", ZipfTrace(KeySpace, 0.7, TraceLength, Seed)),
            ("Zipf(0.9) + scans", WithScans(ZipfTrace(KeySpace, 0.9, TraceLength * 3 / 4, Seed), every: 30_000, scanLength: 10_000)),
            ($"loop of {LoopLength:N0}", Loop(LoopLength, TraceLength)),
        };
        var keyCount = traces.Max(t => t.Trace.Max()) + 1;
        var keys = new string[keyCount];
        for (var i = 0; i < keyCount; i++)
        {
            keys[i] = $"key-{i}";
        }

        output.WriteLine($"{TraceLength:N0} requests per trace over {KeySpace:N0} keys (plus the scans' one-time keys), seed {Seed}; a miss is followed by a set.");
        output.WriteLine();
        output.WriteLine("| Trace | Capacity | Motadata.Cache | BitFaster ConcurrentLfu | BitFaster ConcurrentLru | MemoryCache (SizeLimit) | exact LRU | ours ≥ ConcurrentLfu? |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var (name, trace) in traces)
        {
            foreach (var percent in new[] { 1, 10 })
            {
                var capacity = KeySpace * percent / 100;
                var ours = Ours(trace, keys, capacity);
                var lfu = BitFasterLfu(trace, keys, capacity);
                output.WriteLine(
                    $"| {name} | {capacity:N0} ({percent}%) | {ours:P2} | {lfu:P2} | {BitFasterLru(trace, keys, capacity):P2} | " +
                    $"{MemoryCacheWithLimit(trace, keys, capacity):P2} | {ExactLru(trace, capacity):P2} | {(ours >= lfu ? "yes" : "no")} |");
            }
        }
    }

    /// <summary>
    /// The real-trace run (<c>-- hitratio traces [name ...]</c>): the published traces in <c>shared/traces</c> (see
    /// <see cref="TraceFiles.FindFolder"/>), each at the sizes with published figures and a few more, replayed against
    /// ours, BitFaster <c>ConcurrentLfu</c> (foreground maintenance, so the result does not depend on timing),
    /// <c>ConcurrentLru</c> and <c>ClassicLru</c> at the same capacity. Hit ratio from the first access, cold misses
    /// included; a miss is followed by a set. <c>ClassicLru</c> must reproduce the published LRU figure where there is
    /// one: false (and a loud line) when it does not, which means a trace was read wrong and no figure can be trusted.
    /// </summary>
    /// <param name="output">Where the table goes.</param>
    /// <param name="only">Trace names (case-insensitive) to run; all when empty.</param>
    public static bool RunTraces(TextWriter output, IReadOnlyCollection<string> only)
    {
        var folder = TraceFiles.FindFolder()
            ?? throw new DirectoryNotFoundException("No traces folder: set MOTADATA_TRACES or run from below a folder holding shared/traces.");
        var cases = new (string Name, Func<int[]> Read, (int Capacity, double? PublishedLru)[] Sizes)[]
        {
            ("OLTP", () => TraceFiles.ReadArc(Path.Combine(folder, "OLTP.lis.gz")),
                [(250, null), (500, null), (1000, 32.83), (2000, 42.47), (5606, 54.98), (18688, 66.52)]),
            ("glimpse", () => TraceFiles.ReadLirs(Path.Combine(folder, "lirs_gli.trace.gz")),
                [(250, null), (500, null), (1000, 11.21), (2000, 57.41)]),
            ("loop", () => TraceFiles.ReadLirs(Path.Combine(folder, "lirs_loop.trace.gz")),
                [(256, null), (512, 0.00), (768, null)]),
            ("corda", () => TraceFiles.ReadBinary(Path.Combine(folder, "corda_vaultservice.bin.gz"), 8),
                [(500, null), (1000, 33.33), (5000, null)]),
            ("scarab", () => TraceFiles.ReadBinary(Path.Combine(folder, "scarab-recs.trace.bin.xz"), 8),
                [(25_000, null), (50_000, null), (100_000, 75.91)]),
            ("web07", () => TraceFiles.ReadBinary(Path.Combine(folder, "cache2k_web07.trace.bin.gz"), 4),
                [(2048, null), (4096, null), (8192, null), (16_384, 72.45)]),
        };
        var unknown = only.Where(name => !cases.Any(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException(
                $"Unknown trace(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", cases.Select(c => c.Name))}.", nameof(only));
        }

        output.WriteLine($"Traces from {folder}; hit ratio from the first access (cold misses included), a miss followed by a set.");
        output.WriteLine();
        output.WriteLine("| Trace @ capacity | Motadata.Cache | ConcurrentLfu (foreground) | ConcurrentLru | ClassicLru | published LRU | ours - Lfu | ours - ClassicLru |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");

        var differences = new List<double>();
        var recencyGaps = new List<(string Case, double Gap)>();
        var lruMismatches = new List<string>();
        foreach (var (name, read, sizes) in cases)
        {
            if (only.Count > 0 && !only.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            var trace = read();
            var keyCount = trace.Length == 0 ? 0 : trace.Max() + 1;
            var keys = new string[keyCount];
            for (var i = 0; i < keyCount; i++)
            {
                keys[i] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            foreach (var (capacity, publishedLru) in sizes)
            {
                var ours = Ours(trace, keys, capacity) * 100;
                var lfu = BitFasterLfuIntKeys(trace, capacity) * 100;
                var lru = BitFasterLru(trace, keys, capacity) * 100;
                var classic = BitFasterClassicLru(trace, keys, capacity) * 100;
                var published = publishedLru is { } p ? FormattableString.Invariant($"{p:F2}") : "";
                if (publishedLru is { } expected && Math.Abs(Math.Round(classic, 2) - expected) > 0.011)
                {
                    published += " (DIFFERS)";
                    lruMismatches.Add(FormattableString.Invariant($"{name} @{capacity}: ClassicLru {classic:F2}, published {expected:F2}"));
                }

                differences.Add(ours - lfu);
                if (name is "corda" or "scarab")
                {
                    recencyGaps.Add(($"{name} @{capacity}", ours - classic));
                }

                output.WriteLine(FormattableString.Invariant(
                    $"| {name} @{capacity} | {ours:F2} | {lfu:F2} | {lru:F2} | {classic:F2} | {published} | {ours - lfu:+0.00;-0.00} | {ours - classic:+0.00;-0.00} |"));
            }
        }

        if (differences.Count > 0)
        {
            output.WriteLine(FormattableString.Invariant(
                $"| **mean / worst, ours - Lfu ({differences.Count} cases)** | | | | | | **{differences.Average():+0.00;-0.00} / {differences.Min():+0.00;-0.00}** | |"));
        }

        output.WriteLine();
        var recencyMisses = string.Join(", ", recencyGaps.Where(g => g.Gap < -2).Select(g => FormattableString.Invariant($"{g.Case} {g.Gap:+0.00;-0.00}")));
        output.WriteLine(FormattableString.Invariant(
            $"Targets: every case ours - Lfu >= -1: {(differences.All(d => d >= -1) ? "yes" : "NO")}; mean >= 0: {(differences.Count > 0 && differences.Average() >= 0 ? "yes" : "NO")}; corda and scarab within 2 of ClassicLru: {(recencyMisses.Length == 0 ? "yes" : "NO (" + recencyMisses + ")")}."));
        if (lruMismatches.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("ERROR: ClassicLru does not reproduce the published LRU figure, so a trace is read wrong and no figure above can be trusted:");
            foreach (var mismatch in lruMismatches)
            {
                output.WriteLine("  " + mismatch);
            }

            return false;
        }

        output.WriteLine("ClassicLru reproduces every published LRU figure in this run.");
        return true;
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

    /// <summary><paramref name="trace"/> with a scan of <paramref name="scanLength"/> keys never seen before or after, after every <paramref name="every"/> requests.</summary>
    public static int[] WithScans(int[] trace, int every, int scanLength)
    {
        var result = new List<int>(trace.Length + (trace.Length / every * scanLength));
        var nextScanKey = KeySpace;
        for (var i = 0; i < trace.Length; i++)
        {
            result.Add(trace[i]);
            if ((i + 1) % every == 0)
            {
                for (var s = 0; s < scanLength; s++)
                {
                    result.Add(nextScanKey++);
                }
            }
        }

        return [.. result];
    }

    /// <summary>Keys 0 to <paramref name="loopLength"/> - 1 in order, again and again.</summary>
    public static int[] Loop(int loopLength, int length)
    {
        var trace = new int[length];
        for (var i = 0; i < length; i++)
        {
            trace[i] = i % loopLength;
        }

        return trace;
    }

    private static double Ours(int[] trace, string[] keys, int capacity)
    {
        using var cache = new CacheMechanism(new CacheConfig { MaxSize = capacity, Ttl = Timeout.InfiniteTimeSpan });
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

    /// <summary>
    /// <c>ConcurrentLfu</c> over the trace's integer keys: its sketch hashes a key with <c>GetHashCode</c>, which for a
    /// string is seeded afresh in every process (so its figures would move by up to half a point from run to run);
    /// an integer's hash is itself, so the figure is the same on every run. Ours hashes keys with a fixed seed.
    /// </summary>
    private static double BitFasterLfuIntKeys(int[] trace, int capacity)
    {
        var cache = new ConcurrentLfu<int, int>(1, capacity, new ForegroundScheduler(), EqualityComparer<int>.Default);
        long hits = 0;
        foreach (var key in trace)
        {
            if (cache.TryGet(key, out _))
            {
                hits++;
            }
            else
            {
                cache.AddOrUpdate(key, key);
            }
        }

        return (double)hits / trace.Length;
    }

    private static double BitFasterLfu(int[] trace, string[] keys, int capacity)
    {
        // Maintenance on the caller's thread, as BitFaster's own hit-rate runs do, so the result does not depend on timing.
        var cache = new ConcurrentLfu<string, string>(1, capacity, new ForegroundScheduler(), EqualityComparer<string>.Default);
        return Replay(cache, trace, keys);
    }

    private static double BitFasterLru(int[] trace, string[] keys, int capacity)
    {
        var cache = new ConcurrentLru<string, string>(capacity);
        return Replay(cache, trace, keys);
    }

    private static double BitFasterClassicLru(int[] trace, string[] keys, int capacity)
    {
        var cache = new ClassicLru<string, string>(capacity);
        return Replay(cache, trace, keys);
    }

    /// <summary>Replays a trace of string keys through one of BitFaster's caches: a miss stores the key.</summary>
    private static double Replay(BitFaster.Caching.ICache<string, string> cache, int[] trace, string[] keys)
    {
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
