using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Motadata.Cache.Benchmarks.Memory;

// Console modes (reports, not timing benchmarks): `-- hitratio` (hit ratios on four synthetic traces), `-- hitratio traces` (on the published traces in shared/traces), `-- bytes` (heap per entry), `-- tableprobe` (the memory store's key lookup alone), `-- manykeys [1000000]`, `-- expiry`, `-- readloss` (issue 24: many-key hits, writes, expiry work, read records lost), `-- readshare` (the share of reads the policy sees with 1 to 4 reader threads), `-- hitloop [cache] [seconds] [threads] [keys] [zipf] [get|mix90|setnew]` (one workload for a profiler), `-- embeddings` (embedding
// sizes and round trips), `-- semantic` (semantic lookup p50/p99 and memory per vector), `-- semanticstore [sizes] [memory|dragonfly|both] [minilm]` (semantic store and lookup end to end at 10,000 and 100,000 prompts), `-- probe` (a memory hit broken into its steps), `-- dfprobe` (client CPU per Dragonfly read), `-- scaleout` (read-heavy mix on one node, a cluster and sharded nodes, with client and server CPU), `-- delivery` and `-- mix` (two levels: invalidation delivery, 95/5 Zipf mix). Anything else goes to BenchmarkDotNet,
// e.g. `-- --filter '*Memory*'`.
if (args.Length > 0 && string.Equals(args[0], "hitratio", StringComparison.OrdinalIgnoreCase))
{
    // Our store replays reads on the reader here, so the figures repeat from run to run (a pool thread's replays land
    // at moments that vary; docs/memory-backend.md).
    AppContext.SetSwitch(Motadata.Cache.Stores.Backends.Memory.MemoryStore.ReplayOnReaderSwitch, true);
    if (args.Length > 1 && string.Equals(args[1], "traces", StringComparison.OrdinalIgnoreCase))
    {
        // `-- hitratio traces [name ...]`: only the traces named (e.g. `corda loop`), all when none is.
        // A ClassicLru that does not reproduce a published LRU figure (traces read wrong) fails the run.
        Environment.ExitCode = HitRatioRun.RunTraces(Console.Out, args[2..]) ? 0 : 1;
    }
    else
    {
        HitRatioRun.Run(Console.Out);
    }

    return;
}

if (args.Length > 0 && string.Equals(args[0], "manykeys", StringComparison.OrdinalIgnoreCase))
{
    MemorySpeedReport.RunManyKeys(Console.Out, withMillion: args.Length > 1 && args[1] == "1000000");
    return;
}

if (args.Length > 0 && string.Equals(args[0], "expiry", StringComparison.OrdinalIgnoreCase))
{
    MemorySpeedReport.RunExpiry(Console.Out);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "readloss", StringComparison.OrdinalIgnoreCase))
{
    MemorySpeedReport.RunReadLoss(Console.Out);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "bytes", StringComparison.OrdinalIgnoreCase))
{
    BytesPerEntryRun.Run(Console.Out);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "hitloop", StringComparison.OrdinalIgnoreCase))
{
    Motadata.Cache.Benchmarks.Diagnostics.HitLoop.Run(Console.Out, args);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "readshare", StringComparison.OrdinalIgnoreCase))
{
    Motadata.Cache.Benchmarks.Diagnostics.ReadShareReport.Run(Console.Out);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "tableprobe", StringComparison.OrdinalIgnoreCase))
{
    Motadata.Cache.Benchmarks.Diagnostics.KeyTableProbe.Run(Console.Out);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "probe", StringComparison.OrdinalIgnoreCase))
{
    Motadata.Cache.Benchmarks.Diagnostics.HitPathProbe.Run(Console.Out);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "embeddings", StringComparison.OrdinalIgnoreCase))
{
    await Motadata.Cache.Benchmarks.AI.EmbeddingReport.RunAsync(Console.Out);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "semanticstore", StringComparison.OrdinalIgnoreCase))
{
    await Motadata.Cache.Benchmarks.AI.SemanticStoreReport.RunAsync(Console.Out, args);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "semantic", StringComparison.OrdinalIgnoreCase))
{
    Motadata.Cache.Benchmarks.AI.SemanticReport.Run(Console.Out);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "scaleout", StringComparison.OrdinalIgnoreCase))
{
    await Motadata.Cache.Benchmarks.Cluster.ScaleOutLoadReport.RunAsync(Console.Out);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "dfprobe", StringComparison.OrdinalIgnoreCase))
{
    await Motadata.Cache.Benchmarks.Diagnostics.DragonflyGetProbe.RunAsync(
        Console.Out,
        args.Length > 1 && args[1].Length > 0 ? args[1] : null,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 7);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "delivery", StringComparison.OrdinalIgnoreCase))
{
    await Motadata.Cache.Benchmarks.TwoLevel.TwoLevelReport.RunDeliveryAsync(Console.Out);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "mix", StringComparison.OrdinalIgnoreCase))
{
    await Motadata.Cache.Benchmarks.TwoLevel.TwoLevelReport.RunMixAsync(Console.Out);
    return;
}

// BenchmarkDotNet builds a project per job; on a busy shared machine that can take longer than its default 2 minutes.
BenchmarkSwitcher.FromAssembly(typeof(MemoryGetBenchmarks).Assembly)
    .Run(args, ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(10)));
