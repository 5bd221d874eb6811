using System.Diagnostics;
using System.Globalization;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// Issue 24's speed figures as console reports, every cache side by side in one process (quick to rerun after a
/// change; BenchmarkDotNet's <see cref="MemoryManyKeysBenchmarks"/> and <see cref="MemoryWriteBenchmarks"/> measure
/// the same workloads): `-- manykeys [1000000]` (get-hit over many keys, 90% reads, sets of new keys: CPU time per
/// operation over 61 runs of 65,536 operations after 5 warm-ups, and the fastest run's wall time), `-- expiry` (timer wheel work per second with
/// 1,000,000 entries whose TTLs spread over a minute, on a manual clock), `-- readloss` (read records lost on the loop
/// and OLTP traces; run it once quiet and once beside two CPU hogs).
/// </summary>
public static class MemorySpeedReport
{
    private const int Rounds = 61;
    private const int WarmUps = 5;

    public static void RunManyKeys(TextWriter output, bool withMillion)
    {
        output.WriteLine($"load average: {LoadAverage()}");
        output.WriteLine("ns per operation over all threads (process CPU time per operation over 61 runs, all threads / wall time of the fastest run); ratios = ours / peer on the CPU time (preemption on a shared machine inflates wall time, not CPU time).");
        output.WriteLine();
        output.WriteLine("| Workload | Motadata | ConcurrentTLru | ConcurrentLfu | MemoryCache | FusionCache | ours/TLru | ours/Lfu | ours/MemoryCache | ours' read records dropped |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        int[] keyCounts = withMillion ? [10_000, 1_000_000] : [10_000];
        foreach (var keys in keyCounts)
        {
            foreach (var distribution in new[] { KeyDistribution.Uniform, KeyDistribution.Zipf })
            {
                foreach (var threads in new[] { 1, 2, 4 })
                {
                    var results = new Dictionary<ManyKeysCache, (double Cpu, double Fastest)>();
                    var dropped = "";
                    foreach (var cache in Enum.GetValues<ManyKeysCache>())
                    {
                        using var work = ManyKeysWorkload.Create(cache, keys, distribution, threads);
                        results[cache] = Time(work.Run, MemoryManyKeysBenchmarks.Operations);
                        if (cache == ManyKeysCache.Motadata)
                        {
                            var (replayed, lost) = work.OurReadRecords;
                            dropped = Percent(lost, replayed + lost);
                        }
                    }

                    // Ours again with the replay on a pool thread (the opt-in AppContext switch, read when a store is made).
                    AppContext.SetSwitch(MemoryStore.ReplayOnPoolSwitch, true);
                    (double Cpu, double Fastest) onPool;
                    using (var work = ManyKeysWorkload.Create(ManyKeysCache.Motadata, keys, distribution, threads))
                    {
                        onPool = Time(work.Run, MemoryManyKeysBenchmarks.Operations);
                    }

                    AppContext.SetSwitch(MemoryStore.ReplayOnPoolSwitch, false);
                    var ours = results[ManyKeysCache.Motadata].Cpu;
                    output.WriteLine(Invariant($"| get-hit, {keys:N0} keys, {distribution}, {threads} thread(s) | {Cell(results[ManyKeysCache.Motadata])} (pool replay {Cell(onPool)}) | {Cell(results[ManyKeysCache.ConcurrentTLru])} | {Cell(results[ManyKeysCache.ConcurrentLfu])} | {Cell(results[ManyKeysCache.MemoryCache])} | {Cell(results[ManyKeysCache.FusionCache])} | {ours / results[ManyKeysCache.ConcurrentTLru].Cpu:0.00}x | {ours / results[ManyKeysCache.ConcurrentLfu].Cpu:0.00}x | {ours / results[ManyKeysCache.MemoryCache].Cpu:0.00}x | {dropped} |"));
                }
            }
        }

        foreach (var threads in new[] { 2, 4 })
        {
            var results = new Dictionary<ManyKeysCache, (double Cpu, double Fastest)>();
            foreach (var cache in new[] { ManyKeysCache.Motadata, ManyKeysCache.ConcurrentTLru, ManyKeysCache.ConcurrentLfu, ManyKeysCache.MemoryCache })
            {
                using var work = new WriteWorkload(WriteWorkloadKind.Mix90, cache, threads);
                results[cache] = Time(work.Run, WriteWorkload.Operations);
            }

            var ours = results[ManyKeysCache.Motadata].Cpu;
            output.WriteLine(Invariant($"| 90% reads, 10,000 keys, {threads} threads | {Cell(results[ManyKeysCache.Motadata])} | {Cell(results[ManyKeysCache.ConcurrentTLru])} | {Cell(results[ManyKeysCache.ConcurrentLfu])} | {Cell(results[ManyKeysCache.MemoryCache])} | | {ours / results[ManyKeysCache.ConcurrentTLru].Cpu:0.00}x | {ours / results[ManyKeysCache.ConcurrentLfu].Cpu:0.00}x | {ours / results[ManyKeysCache.MemoryCache].Cpu:0.00}x | |"));
        }

        {
            var results = new Dictionary<ManyKeysCache, (double Cpu, double Fastest)>();
            foreach (var cache in new[] { ManyKeysCache.Motadata, ManyKeysCache.ConcurrentLfu, ManyKeysCache.MemoryCache })
            {
                using var work = new WriteWorkload(WriteWorkloadKind.SetNew, cache, 4);
                results[cache] = Time(work.Run, WriteWorkload.Operations);
            }

            var ours = results[ManyKeysCache.Motadata].Cpu;
            output.WriteLine(Invariant($"| set of a new key, full cache, 4 threads, 4 tenants | {Cell(results[ManyKeysCache.Motadata])} | | {Cell(results[ManyKeysCache.ConcurrentLfu])} | {Cell(results[ManyKeysCache.MemoryCache])} | | | {ours / results[ManyKeysCache.ConcurrentLfu].Cpu:0.00}x | {ours / results[ManyKeysCache.MemoryCache].Cpu:0.00}x | |"));
        }

        output.WriteLine();
        output.WriteLine($"load average: {LoadAverage()}");
    }

    /// <summary>1,000,000 entries with TTLs spread over a minute; the wheel advanced a second at a time on a manual clock.</summary>
    public static void RunExpiry(TextWriter output)
    {
        const int Entries = 1_000_000;
        output.WriteLine($"load average: {LoadAverage()}");
        var clock = new ManualClock();
        using var store = new MemoryStore(
            new CacheConfig { MaxSize = Entries, ExpirationScanInterval = TimeSpan.FromDays(1) }, new CacheCounters(), clock);
        var segment = store.Segment("t");
        var random = new Random(1);
        for (var i = 0; i < Entries; i++)
        {
            store.Set(segment, $"k{i}", i, TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(random.NextInt64(TimeSpan.TicksPerMinute)));
        }

        output.WriteLine(Invariant($"{Entries:N0} entries, TTLs 1 s to 61 s (uniform); each row: the clock moves 1 s, then one expiry pass."));
        output.WriteLine();
        output.WriteLine("| Second | Entries expired | Entries visited | Visited / expired | Pass time (ms) | A full scan would visit |");
        output.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
        long totalExpired = 0, totalVisited = 0;
        var totalTime = TimeSpan.Zero;
        for (var second = 1; second <= 62; second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            var sizeBefore = store.GetUsage(null).Size;
            var visitedBefore = store.ExpiryNodesVisited;
            var watch = Stopwatch.StartNew();
            store.RemoveExpired();
            watch.Stop();
            var expired = sizeBefore - store.GetUsage(null).Size;
            var visited = store.ExpiryNodesVisited - visitedBefore;
            totalExpired += expired;
            totalVisited += visited;
            totalTime += watch.Elapsed;
            if (second is <= 3 or 30 or 31 or >= 60)
            {
                output.WriteLine(Invariant($"| {second} | {expired:N0} | {visited:N0} | {(expired == 0 ? "-" : ((double)visited / expired).ToString("0.00", CultureInfo.InvariantCulture))} | {watch.Elapsed.TotalMilliseconds:0.0} | {sizeBefore:N0} |"));
            }
        }

        output.WriteLine(Invariant($"| all 62 | {totalExpired:N0} | {totalVisited:N0} | {(double)totalVisited / Math.Max(1, totalExpired):0.00} | {totalTime.TotalMilliseconds:0} | |"));
        output.WriteLine();
        output.WriteLine(Invariant($"ns per expired entry: {totalTime.TotalNanoseconds / Math.Max(1, totalExpired):0}. load average: {LoadAverage()}"));
    }

    /// <summary>Replays the loop and OLTP traces through our store (get, and set on a miss), reporting read records dropped.</summary>
    public static void RunReadLoss(TextWriter output)
    {
        output.WriteLine($"load average: {LoadAverage()}");
        var folder = TraceFiles.FindFolder();
        if (folder is null)
        {
            output.WriteLine("No shared/traces folder found (set MOTADATA_TRACES).");
            return;
        }

        output.WriteLine("| Trace @ entries | Requests | Hit ratio (reader replay, the default) | records replayed | dropped | Hit ratio (pool replay, opt-in) | records replayed | dropped | dropped % |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        (string Name, int[] Trace, int[] Sizes)[] cases =
        [
            ("loop", TraceFiles.ReadLirs(Path.Combine(folder, "lirs_loop.trace.gz")), [256, 512, 768]),
            ("OLTP", TraceFiles.ReadArc(Path.Combine(folder, "OLTP.lis.gz")), [1000, 2000, 5606]),
        ];
        foreach (var (name, trace, sizes) in cases)
        {
            var keys = new string[trace.Max() + 1];
            for (var i = 0; i < keys.Length; i++)
            {
                keys[i] = i.ToString(CultureInfo.InvariantCulture);
            }

            foreach (var size in sizes)
            {
                var (hits, replayed, dropped) = Replay(trace, keys, size, replayOnReader: false);
                var (readerHits, readerReplayed, readerDropped) = Replay(trace, keys, size, replayOnReader: true);
                output.WriteLine(Invariant($"| {name} @{size} | {trace.Length:N0} | {100.0 * readerHits / trace.Length:0.00}% | {readerReplayed:N0} | {readerDropped:N0} | {100.0 * hits / trace.Length:0.00}% | {replayed:N0} | {dropped:N0} | {Percent(dropped, replayed + dropped)} |"));
            }
        }

        output.WriteLine();
        output.WriteLine($"load average: {LoadAverage()}");
    }

    private static (long Hits, long Replayed, long Dropped) Replay(int[] trace, string[] keys, int size, bool replayOnReader)
    {
        using var store = new MemoryStore(new CacheConfig { MaxSize = size }, new CacheCounters(), TimeProvider.System) { ReplayOnReader = replayOnReader };
        var segment = store.Segment(null);
        long hits = 0;
        foreach (var key in trace)
        {
            if (store.TryGet(segment, keys[key], out object? _))
            {
                hits++;
            }
            else
            {
                store.Set(segment, keys[key], (object?)key, Timeout.InfiniteTimeSpan);
            }
        }

        store.DrainReadsNow();
        return (hits, store.ReadsReplayed, store.ReadsDropped);
    }

    private static (double Cpu, double Fastest) Time(Func<long> run, int operations)
    {
        for (var i = 0; i < WarmUps; i++)
        {
            run();
        }

        PromoteFill();
        var times = new double[Rounds];
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < Rounds; i++)
        {
            var start = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / operations;
        }

        // The process's CPU time over all rounds (every thread, the pool's replays included), per operation: what a get
        // costs in CPU whatever the preemption; the wall-clock figures are what a caller waits on an idle machine.
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalNanoseconds / ((double)operations * Rounds);
        Array.Sort(times);
        return (cpu, times[0]);
    }

    private static string Cell((double Cpu, double Fastest) result) => Invariant($"{result.Cpu:0.0} / {result.Fastest:0.0}");

    private static string Percent(long part, long whole) => whole == 0 ? "0%" : Invariant($"{100.0 * part / whole:0.00}%");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// As BenchmarkDotNet does between iterations: collects twice, so what a workload's fill made is promoted, as a
    /// long-running process's entries would be (a write barrier on them is then not the ephemeral case).
    /// </summary>
    internal static void PromoteFill()
    {
        GC.Collect();
        GC.Collect();
    }

    /// <summary>The machine's load average (from /proc/loadavg), or "unknown", for a report's header and footer.</summary>
    internal static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>A clock that moves only when told (the store's expiry is driven by its <see cref="TimeProvider"/>).</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _timestamp = 1_000_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Volatile.Read(ref _timestamp);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _timestamp, by.Ticks);
    }
}
