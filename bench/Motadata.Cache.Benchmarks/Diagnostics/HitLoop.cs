using System.Diagnostics;
using Motadata.Cache.Benchmarks.Memory;

namespace Motadata.Cache.Benchmarks.Diagnostics;

/// <summary>
/// <c>-- hitloop [cache] [seconds] [threads] [keys] [zipf]</c>: one many-key read workload run for a while, for a
/// profiler (perf) to look at; prints wall ns per read of the fastest and the median round. Diagnostics.
/// </summary>
public static class HitLoop
{
    public static void Run(TextWriter output, string[] args)
    {
        var cache = args.Length > 1 ? Enum.Parse<ManyKeysCache>(args[1], ignoreCase: true) : ManyKeysCache.Motadata;
        var seconds = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5;
        var threads = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1;
        var keys = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
        var distribution = args.Length > 5 && args[5] == "zipf" ? KeyDistribution.Zipf : KeyDistribution.Uniform;
        if (Environment.GetEnvironmentVariable("POOL") == "1") { AppContext.SetSwitch(Motadata.Cache.Stores.Backends.Memory.MemoryStore.ReplayOnPoolSwitch, true); }
        var kind = args.Length > 6 ? args[6] : "get";
        using IDisposable owner = kind switch
        {
            "mix90" => new WriteWorkload(WriteWorkloadKind.Mix90, cache, threads),
            "setnew" => new WriteWorkload(WriteWorkloadKind.SetNew, cache, threads),
            _ => ManyKeysWorkload.Create(cache, keys, distribution, threads),
        };
        var work = owner as ManyKeysWorkload;
        Func<long> run = work is not null ? work.Run : ((WriteWorkload)owner).Run;
        MemorySpeedReport.PromoteFill();
        var rounds = new List<double>();
        var total = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        while (total.Elapsed.TotalSeconds < seconds)
        {
            var watch = Stopwatch.StartNew();
            run();
            rounds.Add(watch.Elapsed.TotalNanoseconds / MemoryManyKeysBenchmarks.Operations);
        }

        var cpuPerOp = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalNanoseconds / ((double)rounds.Count * MemoryManyKeysBenchmarks.Operations);
        rounds.Sort();
        var (replayed, dropped) = work?.OurReadRecords ?? default;
        var (window, protectedCount) = work?.OurRegions ?? default;
        output.WriteLine($"{cache} {kind} {threads}t {keys} {distribution}: fastest {rounds[0]:0.0} ns, median {rounds[rounds.Count / 2]:0.0} ns wall per read; CPU {cpuPerOp:0.0} ns/read; rounds {rounds.Count}; replayed {replayed} dropped {dropped}; window {window} protected {protectedCount}");
    }
}
