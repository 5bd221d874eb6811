using System.Globalization;
using Motadata.Cache.Benchmarks.Memory;
using Motadata.Cache.Stats;
using Motadata.Cache.Stores.Backends.Memory;

namespace Motadata.Cache.Benchmarks.Diagnostics;

/// <summary>
/// <c>-- readshare</c>: what share of the reads reaches the eviction policy when 1 to 4 threads read 10,000 keys
/// (uniform) from one memory store: replayed, dropped (a ring full while another thread held the maintenance lock),
/// and neither (a repeat folded into its key's record, or a record lost to a race for a slot). A report.
/// </summary>
public static class ReadShareReport
{
    private const int ReadsPerThread = 2_000_000;

    public static void Run(TextWriter output)
    {
        output.WriteLine($"load average: {MemorySpeedReport.LoadAverage()}");
        output.WriteLine("| Threads | Reads | Replayed | Dropped | Neither |");
        output.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
        foreach (var threads in new[] { 1, 2, 3, 4 })
        {
            using var store = new MemoryStore(new CacheConfig { MaxSize = 10_000 }, new CacheCounters(), TimeProvider.System);
            var segment = store.Segment("t");
            var keys = Enumerable.Range(0, 10_000).Select(i => $"k{i}").ToArray();
            foreach (var key in keys)
            {
                store.Set(segment, key, 1, TimeSpan.FromHours(1));
            }

            store.DrainReadsNow();
            var before = store.ReadsReplayed;
            var readers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                var random = new Random(t);
                for (var i = 0; i < ReadsPerThread; i++)
                {
                    store.TryGet(segment, keys[random.Next(keys.Length)], out int _);
                }
            })).ToList();
            readers.ForEach(r => r.Start());
            readers.ForEach(r => r.Join());
            store.DrainReadsNow();
            long reads = (long)threads * ReadsPerThread;
            var replayed = store.ReadsReplayed - before;
            var dropped = store.ReadsDropped;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {threads} | {reads:N0} | {100.0 * replayed / reads:0.0}% | {100.0 * dropped / reads:0.0}% | {100.0 * (reads - replayed - dropped) / reads:0.0}% |"));
        }
    }
}
