using BenchmarkDotNet.Running;
using Motadata.Cache.Benchmarks.Memory;

// `-- probe` breaks a memory hit down into its steps (diagnostics); `-- hitratio` runs the hit-ratio simulation (a console report, not a timing benchmark); anything else goes to
// BenchmarkDotNet, e.g. `-- --filter '*Memory*'`.
if (args.Length > 0 && string.Equals(args[0], "hitratio", StringComparison.OrdinalIgnoreCase))
{
    HitRatioRun.Run(Console.Out);
    return;
}

if (args.Length > 0 && string.Equals(args[0], "probe", StringComparison.OrdinalIgnoreCase))
{
    Motadata.Cache.Benchmarks.Diagnostics.HitPathProbe.Run(Console.Out);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(MemoryGetBenchmarks).Assembly).Run(args);
