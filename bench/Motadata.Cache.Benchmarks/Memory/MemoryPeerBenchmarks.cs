using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// What the memory comparisons share: the job (one launch, 3 warm-ups, 8 iterations), the memory diagnoser,
/// grouping by category, and a filled <see cref="MemoryPeers"/> disposed after the run. The measured methods stay
/// in the derived classes, so their code is exactly what each benchmark times.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 8)]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public abstract class MemoryPeerBenchmarks
{
    private MemoryPeers? _owned;

    /// <summary>Every cache, <paramref name="capacity"/> entries big, filled with <paramref name="keyCount"/> keys; disposed by <see cref="Cleanup"/>.</summary>
    protected MemoryPeers CreateFilledPeers(int capacity, int keyCount)
    {
        _owned = new MemoryPeers(capacity, keyCount);
        _owned.Fill();
        return _owned;
    }

    [GlobalCleanup]
    public void Cleanup() => _owned?.Dispose();
}
